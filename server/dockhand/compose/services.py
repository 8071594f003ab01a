"""Per-service resolution: name references inside a service, `extends`, and the typed, located ServiceConfig."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dockhand.compose.document import AliasBombError, Node, ParsedDocument, Problem, Span
from dockhand.compose.merge import Materializer, merge, normalize_service, strip_markers
from dockhand.compose.model import Declaration, Dependency, Kind, PathRef, PortBinding, Reference, ServiceConfig
from dockhand.compose.nodes import NodeMemo


class DocumentSource(Protocol):
    """Where a project's files come from: disk (loader.DiskSource) or the server's index overlaying open buffers."""

    def document(self, path: Path) -> ParsedDocument | None:
        """The parsed file, or None when it does not exist or cannot be read."""

    def read_text(self, path: Path) -> str | None:
        """Raw text of a non-compose file (.env), or None."""

    def exists(self, path: Path) -> bool:
        """Whether a file or folder exists."""


class _Builder(Protocol):  # the part of loader._ProjectBuilder used here (structural, to avoid an import cycle)
    source: DocumentSource
    env: Mapping[str, str]
    file_data: dict[str, dict[str, Any]]


@dataclass
class ServicePart:
    """One file's declaration of a service: its node, the folder relative paths resolve against, its data."""

    decl: Declaration
    base_dir: Path
    data: dict[str, Any]
    doc: ParsedDocument


@dataclass
class Extra:
    """What resolving a service found besides its config (extends targets, problems, paths)."""

    problems: list[Problem] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    paths: list[PathRef] = field(default_factory=list)
    documents: list[ParsedDocument] = field(default_factory=list)


_PATH_PREFIXES = (".", "/", "~", "$")
_SERVICE_PREFIX_KEYS = ("network_mode", "pid", "ipc")
_MAX_EXTENDS = 20


def name_span(doc: ParsedDocument, node: Node, offset: int, name: str) -> Span:
    """The span of `name` found `offset` code points into a single-line scalar (whole node span otherwise)."""
    s = node.span
    if s.start_line != s.end_line and not (s.end_line == s.start_line + 1 and s.end_char == 0):
        return s
    lead = 1 if node.quoted else 0
    if not offset and not lead and s.end_char - s.start_char == len(name) and s.start_line == s.end_line:
        return s  # the name is the whole plain scalar (a depends_on key, a network): its own span
    if doc.lines.all_ascii:
        start = s.start_char + lead + offset
        return Span(s.start_line, start, s.start_line, start + len(name))
    text = node.text() or ""
    start = s.start_char + lead + doc.lines._units(text[:offset])
    return Span(s.start_line, start, s.start_line, start + doc.lines._units(name))


_references: NodeMemo[tuple[Reference, ...]] = NodeMemo()
"""References per service node."""


def collect_references(part: ServicePart) -> list[Reference]:
    """Every name this service declaration uses, with the span of the name alone."""
    key = (part.decl.uri, part.decl.name, part.doc.encoding)
    return list(_references.get(part.decl.node, key, lambda: tuple(_collect_references(part))))


def _collect_references(part: ServicePart) -> list[Reference]:
    node, doc, svc = part.decl.node, part.doc, part.decl.name
    uri = part.decl.uri
    out: list[Reference] = []

    def add(kind: Kind, name_node: Node, context: str, offset: int = 0, name: str | None = None) -> None:
        value = name if name is not None else name_node.text()
        if value:
            out.append(Reference(kind, value, uri, name_span(doc, name_node, offset, value), context, svc))

    if node.kind != "map":
        return out
    for key, kind in (("depends_on", "service"), ("networks", "network")):
        value = node.get(key)
        if value is None:
            continue
        if value.kind == "seq":
            for item in value.children:
                add(kind, item, key)  # type: ignore[arg-type]
        elif value.kind == "map":
            for k, _v in value.items:
                add(kind, k, key)  # type: ignore[arg-type]
    for key, kind, split in (("links", "service", ":"), ("volumes_from", "service", ":")):
        value = node.get(key)
        if value is not None and value.kind == "seq":
            for item in value.children:
                text = item.text() or ""
                if text.startswith("container:"):
                    continue
                add(kind, item, key, 0, text.split(split, 1)[0])  # type: ignore[arg-type]
    for key in _SERVICE_PREFIX_KEYS:
        value = node.get(key)
        mode = value.text() if value is not None else None
        if value is not None and mode and mode.startswith("service:"):
            add("service", value, key, len("service:"), mode[len("service:") :])
    extends = node.get("extends")
    if extends is not None:
        if extends.kind == "scalar":
            add("service", extends, "extends")
        elif extends.kind == "map" and extends.get("file") is None and extends.get("service") is not None:
            add("service", extends.get("service"), "extends")  # type: ignore[arg-type]
    volumes = node.get("volumes")
    if volumes is not None and volumes.kind == "seq":
        for item in volumes.children:
            if item.kind == "scalar":
                text = item.text() or ""
                source = text.split(":", 1)[0] if ":" in text else ""
                windows_drive = len(source) == 1 and source.isalpha() and text[2:3] in ("\\", "/")  # `C:\data:/d`
                if source and not source.startswith(_PATH_PREFIXES) and not windows_drive:
                    add("volume", item, "volumes", 0, source)
            elif item.kind == "map" and (item.get("type") is None or item.get("type").text() == "volume"):  # type: ignore[union-attr]
                src = item.get("source")
                if src is not None and src.kind == "scalar" and not (src.text() or "").startswith(_PATH_PREFIXES):
                    add("volume", src, "volumes")
    build = node.get("build")
    for key, kind in (("secrets", "secret"), ("configs", "config")):
        holders = [node.get(key), build.get(key) if build is not None else None]
        for value in holders:
            if value is None or value.kind != "seq":
                continue
            for item in value.children:
                if item.kind == "scalar":
                    add(kind, item, key)  # type: ignore[arg-type]
                elif item.kind == "map" and item.get("source") is not None:
                    add(kind, item.get("source"), key)  # type: ignore[arg-type]
    return out


def resolve_config(name: str, parts: list[ServicePart], builder: _Builder) -> tuple[ServiceConfig, Extra]:
    """Merge a service's declarations (with their `extends` bases) into its resolved, located config."""
    extra = Extra()
    chains: list[list[ServicePart]] = []
    merged: dict[str, Any] = {}
    for part in parts:
        chain = _extends_chain(part, builder, extra, [])
        chains.append(chain)
        # Start from the first link itself: merging onto {} would drop the !reset/!override markers a later file needs.
        data: dict[str, Any] = chain[0].data
        for link in chain[1:]:
            data = normalize_service(merge(data, link.data))
        merged = normalize_service(merge(merged, data)) if merged else data
    located = [link for chain in chains for link in chain]
    if any(link.doc.has_merge_tags for link in located):
        merged = strip_markers(merged)
    return _typed_config(merged, located, extra), extra


def _extends_chain(
    part: ServicePart, builder: _Builder, extra: Extra, seen: list[tuple[str, str]]
) -> list[ServicePart]:
    """[base of base, …, base, part]: the declarations `part` extends, outermost first."""
    spec = part.data.get("extends")
    ext_node = part.decl.node.get("extends")
    if spec is None or ext_node is None:
        return [part]
    if not isinstance(spec, str | dict):
        return [part]  # the structure rule reports the wrong type
    target, file = (spec, None) if isinstance(spec, str) else (spec.get("service"), spec.get("file"))
    key = (part.decl.uri, part.decl.name)
    if not isinstance(target, str) or len(seen) > _MAX_EXTENDS or key in seen:
        if key in seen:
            chain = " → ".join(n for _u, n in [*seen, key])
            extra.problems.append(
                Problem("extends-cycle", f"`extends` loops: {chain}. Break the loop.", part.decl.uri, ext_node.span)
            )
        return [part]
    doc, base_dir, data_root = part.doc, part.base_dir, builder.file_data.get(part.decl.uri, {})
    if isinstance(file, str):
        path = (part.base_dir / file).absolute()
        file_node = ext_node.get("file")
        span = file_node.span if file_node is not None else ext_node.span
        found = builder.source.document(path)
        extra.paths.append(PathRef("extends-file", file, path, part.decl.uri, span, exists=found is not None))
        if found is None or found.root is None:
            extra.problems.append(
                Problem("missing-file", f"`extends.file` `{file}` does not exist. Fix the path.", part.decl.uri, span)
            )
            return [part]
        doc, base_dir = found, path.parent
        extra.documents.append(found)
        data_root = _materialize_file(found, builder, extra)
    services = doc.root.get("services") if doc.root is not None else None
    base_node = services.get(target) if services is not None else None
    base_key = services.key_node(target) if services is not None else None
    if base_node is None or base_key is None:
        if isinstance(file, str):
            where = ext_node.get("service") or ext_node
            extra.problems.append(
                Problem(
                    "undefined-service",
                    f"`extends` names service `{target}`, which `{file}` does not define.",
                    part.decl.uri,
                    where.span,
                )
            )
        return [part]  # an undefined target in the same file is reported by the reference rules
    raw = (data_root.get("services") or {}).get(target) if isinstance(data_root.get("services"), dict) else None
    decl = Declaration("service", target, doc.uri, base_key.span, base_node.span, base_node)
    base = ServicePart(decl, base_dir, normalize_service(raw), doc)
    own = dict(part.data)
    own.pop("extends", None)
    return [*_extends_chain(base, builder, extra, [*seen, key]), ServicePart(part.decl, part.base_dir, own, part.doc)]


def _materialize_file(doc: ParsedDocument, builder: _Builder, extra: Extra) -> dict[str, Any]:
    cached = builder.file_data.get(doc.uri)
    if cached is not None:
        return cached
    data: dict[str, Any] = {}
    if doc.root is not None and doc.root.kind == "map":
        try:
            data = {
                k: Materializer(doc.uri, builder.env, extra.problems.append).value(v)
                for k, _kn, v in doc.root.entries()
                if not k.startswith("x-")
            }
        except (AliasBombError, RecursionError):
            data = {}  # the file's own analysis reports it
    builder.file_data[doc.uri] = data
    return data


def _typed_config(data: dict[str, Any], located: list[ServicePart], extra: Extra) -> ServiceConfig:
    ports: list[PortBinding] = []
    deps: dict[str, Dependency] = {}
    env_files: list[PathRef] = []
    context: PathRef | None = None
    dockerfile: PathRef | None = None
    for part in located:
        node, uri = part.decl.node, part.decl.uri
        ports_node = node.get("ports")
        if ports_node is not None:
            if ports_node.tag in ("!reset", "!override"):
                ports = []
            raw_ports = part.data.get("ports")
            values = raw_ports if isinstance(raw_ports, list) else []
            for i, item in enumerate(ports_node.children):
                binding = parse_port(values[i] if i < len(values) else item.to_python(), uri, item.span)
                if binding is not None and not any(_same_port(binding, p) for p in ports):
                    ports.append(binding)
        deps_node = node.get("depends_on")
        if deps_node is not None:
            if deps_node.tag in ("!reset", "!override"):
                deps = {}
            for dep_name, name_node, spec in _dependency_entries(deps_node, part.data.get("depends_on")):
                condition = spec.get("condition", "service_started") if isinstance(spec, dict) else "service_started"
                required = spec.get("required", True) if isinstance(spec, dict) else True
                restart = spec.get("restart", False) if isinstance(spec, dict) else False
                deps[dep_name] = Dependency(
                    dep_name, str(condition), required is not False, restart is True, uri, name_node.span
                )
        env_node = node.get("env_file")
        if env_node is not None:
            if env_node.tag in ("!reset", "!override"):
                env_files = []
            items = env_node.children if env_node.kind == "seq" else (env_node,)
            for item in items:
                written_node = item.get("path") if item.kind == "map" else item
                written = written_node.text() if written_node is not None else None
                if written and written_node is not None:
                    required = item.get("required") if item.kind == "map" else None
                    env_files.append(
                        _path_ref(
                            "env-file",
                            written,
                            part.base_dir,
                            uri,
                            written_node.span,
                            required is None or required.value is not False,
                        )
                    )
        build = node.get("build")
        if build is not None:
            context_node = build if build.kind == "scalar" else build.get("context")
            written = context_node.text() if context_node is not None else "."
            span = context_node.span if context_node is not None else part.decl.name_span
            context = _path_ref("build-context", written or ".", part.base_dir, uri, span)
            df_node = build.get("dockerfile") if build.kind == "map" else None
            df_written = (df_node.text() if df_node is not None else None) or "Dockerfile"
            inline = build.kind == "map" and build.get("dockerfile_inline") is not None
            dockerfile = None
            if context.path is not None and context.exists and not inline:
                dockerfile = _path_ref(
                    "dockerfile", df_written, context.path, uri, df_node.span if df_node is not None else span
                )
    for ref in (context, dockerfile, *env_files):
        if ref is not None:
            extra.paths.append(ref)
    hc = data.get("healthcheck")
    env = data.get("environment")
    return ServiceConfig(
        image=str(data["image"]) if data.get("image") is not None else None,
        build_context=context,
        dockerfile=dockerfile,
        ports=tuple(ports),
        depends_on=tuple(deps.values()),
        healthcheck=hc if isinstance(hc, dict) else None,
        networks=tuple(data["networks"]) if isinstance(data.get("networks"), dict) else (),
        profiles=tuple(str(p) for p in data.get("profiles") or [] if p is not None)
        if isinstance(data.get("profiles"), list)
        else (),
        environment={str(k): None if v is None else str(v) for k, v in env.items()} if isinstance(env, dict) else {},
        env_files=tuple(env_files),
        container_name=_str_or_none(data.get("container_name")),
        network_mode=_str_or_none(data.get("network_mode")),
        restart=_str_or_none(data.get("restart")),
        data=data,
    )


def _str_or_none(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


def _dependency_entries(node: Node, data: Any) -> list[tuple[str, Node, Any]]:
    """(name, name node, spec) per `depends_on` entry; the specs come from the file's interpolated data."""
    if node.kind == "seq":
        return [(c.text() or "", c, None) for c in node.children if c.text()]
    if node.kind == "map":
        specs = strip_markers(data)
        specs = specs if isinstance(specs, dict) else {}
        return [(k.text() or "", k, specs.get(k.value)) for k, _v in node.items if k.text()]
    return []


def _looks_remote(written: str) -> bool:
    return "://" in written or written.startswith(("git@", "github.com/")) or written.endswith(".git")


def _path_ref(role: Any, written: str, base: Path, uri: str, span: Span, required: bool = True) -> PathRef:
    if _looks_remote(written) or "$" in written:
        return PathRef(role, written, None, uri, span, required)
    path = (base / Path(written).expanduser()).absolute()
    return PathRef(role, written, path, uri, span, required, exists=path.exists())


def _same_port(a: PortBinding, b: PortBinding) -> bool:
    return (a.target, a.published, a.host_ip, a.protocol) == (b.target, b.published, b.host_ip, b.protocol)


def parse_port(value: Any, uri: str, span: Span) -> PortBinding | None:
    """A `ports:` entry in short ("127.0.0.1:8080:80/tcp") or long ({target, published, …}) form."""
    if isinstance(value, dict):
        target = value.get("target")
        if target is None:
            return None
        published = value.get("published")
        return PortBinding(
            str(target),
            None if published in (None, "") else str(published),
            str(value.get("host_ip") or ""),
            str(value.get("protocol") or "tcp"),
            uri,
            span,
        )
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    text, _, protocol = text.partition("/")
    host_ip = ""
    if text.startswith("["):
        end = text.find("]")
        host_ip, text = text[1:end], text[end + 2 :] if end >= 0 else text
    pieces = text.rsplit(":", 2) if not host_ip else text.rsplit(":", 1)
    if len(pieces) == 3:
        host_ip, published, target = pieces
    elif len(pieces) == 2:
        published, target = pieces
    else:
        published, target = "", pieces[0]
    return PortBinding(target, published or None, host_ip, protocol or "tcp", uri, span)
