-- Neovim 0.7's built-in LSP client driving the real Dockhand server, headless, for tests/editors/test_neovim.py.
-- Opens the current buffer's file with Dockhand attached, collects what an editor user would see (log lines,
-- published diagnostics, a hover, code lenses), writes them as JSON to $DOCKHAND_NVIM_OUT and quits.
-- Every wait is bounded by $DOCKHAND_NVIM_WAIT_MS; an expectation not met by then is simply reported as missing.
-- Inputs (environment): DOCKHAND_NVIM_CMD (JSON argv of the server), DOCKHAND_NVIM_OUT, DOCKHAND_NVIM_ROOT,
-- DOCKHAND_NVIM_INIT_OPTIONS (JSON), DOCKHAND_NVIM_HOVER (JSON {line, character}, 0-based),
-- DOCKHAND_NVIM_EXPECT_HOVER / DOCKHAND_NVIM_EXPECT_LENS (text to keep polling for), DOCKHAND_NVIM_WAIT_DIAGNOSTICS
-- ('1' = wait for a publishDiagnostics) and DOCKHAND_NVIM_EXPECT_DIAGNOSTIC (text one of them must hold).

local function env_json(name, default)
  local raw = os.getenv(name)
  if raw == nil or raw == '' then return default end
  return vim.fn.json_decode(raw)
end

local out_path = os.getenv('DOCKHAND_NVIM_OUT')
local budget_ms = tonumber(os.getenv('DOCKHAND_NVIM_WAIT_MS') or '30000')
local expect_hover = os.getenv('DOCKHAND_NVIM_EXPECT_HOVER') or ''
local expect_lens = os.getenv('DOCKHAND_NVIM_EXPECT_LENS') or ''
local expect_diagnostic = os.getenv('DOCKHAND_NVIM_EXPECT_DIAGNOSTIC') or ''
local wait_diagnostics = os.getenv('DOCKHAND_NVIM_WAIT_DIAGNOSTICS') == '1'
local started = vim.loop.hrtime()

local report = { logs = {}, diagnostics = {}, diagnostics_received = false, errors = {} }

local function remaining_ms()
  return math.max(0, budget_ms - (vim.loop.hrtime() - started) / 1e6)
end

local function finish()
  report.elapsed_ms = (vim.loop.hrtime() - started) / 1e6
  local file = assert(io.open(out_path, 'w'))
  file:write(vim.fn.json_encode(report))
  file:close()
  vim.cmd('qall!')
end

-- Ask again every 250 ms until `attempt` says it is satisfied or the budget is spent (request_sync waits itself,
-- so it cannot run inside a vim.wait condition).
local function poll(attempt)
  while not attempt() and remaining_ms() > 0 do
    vim.wait(math.min(250, remaining_ms()))
  end
end

local function contains(value, text)
  return text == '' or string.find(vim.fn.json_encode(value or vim.NIL), text, 1, true) ~= nil
end

local ok, err = pcall(function()
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  local client_id = vim.lsp.start_client({
    name = 'dockhand',
    cmd = env_json('DOCKHAND_NVIM_CMD'),
    root_dir = os.getenv('DOCKHAND_NVIM_ROOT'),
    init_options = env_json('DOCKHAND_NVIM_INIT_OPTIONS', {}),
    on_init = function(client, result)
      report.server_info = result.serverInfo
      report.initialized = true
    end,
    on_exit = function(code, signal)
      report.exit = { code = code, signal = signal }
    end,
    handlers = {
      ['window/logMessage'] = function(_, result)
        table.insert(report.logs, result.message)
      end,
      ['textDocument/publishDiagnostics'] = function(e, result, ctx, config)
        if result.uri == uri then
          report.diagnostics = result.diagnostics
          report.diagnostics_received = true
        end
        return vim.lsp.handlers['textDocument/publishDiagnostics'](e, result, ctx, config)
      end,
    },
  })
  report.client_id = client_id
  report.attached = vim.lsp.buf_attach_client(bufnr, client_id)

  vim.wait(remaining_ms(), function() return report.initialized == true end, 20)
  local client = vim.lsp.get_client_by_id(client_id)
  if client == nil or not report.initialized then
    table.insert(report.errors, 'the server did not initialize')
    return
  end
  report.hover_provider = client.server_capabilities.hoverProvider ~= nil and client.server_capabilities.hoverProvider ~= false
  report.code_lens_provider = client.server_capabilities.codeLensProvider ~= nil

  vim.wait(remaining_ms(), function()
    local ready = false
    for _, line in ipairs(report.logs) do
      if string.find(line, 'ready', 1, true) then ready = true end
    end
    local diagnosed = report.diagnostics_received and contains(report.diagnostics, expect_diagnostic)
    return ready and (diagnosed or not wait_diagnostics)
  end, 50)

  local position = env_json('DOCKHAND_NVIM_HOVER')
  if position ~= nil and report.hover_provider then
    poll(function()
      local response = client.request_sync('textDocument/hover', {
        textDocument = { uri = uri }, position = position,
      }, math.max(1, math.min(5000, remaining_ms())), bufnr)
      report.hover = response and response.result
      report.hover_error = response and response.err
      return report.hover ~= nil and contains(report.hover, expect_hover)
    end)
  end

  if report.code_lens_provider then
    poll(function()
      local response = client.request_sync('textDocument/codeLens', {
        textDocument = { uri = uri },
      }, math.max(1, math.min(5000, remaining_ms())), bufnr)
      report.code_lenses = response and response.result
      report.code_lens_error = response and response.err
      return report.code_lenses ~= nil and contains(report.code_lenses, expect_lens)
    end)
  end

  client.stop()
  vim.wait(math.min(5000, remaining_ms() + 2000), function() return report.exit ~= nil end, 20)
end)
if not ok then table.insert(report.errors, tostring(err)) end
finish()
