"""shopkit: a tiny standard-library framework that makes a Python service look like a Spring Boot one."""

from shopkit.web import HttpError, Reply, Request, Response, Service, call

__all__ = ["HttpError", "Reply", "Request", "Response", "Service", "call"]
