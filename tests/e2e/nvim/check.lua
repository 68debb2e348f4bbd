-- Headless Neovim (0.7+) as a real LSP client of sst-lsp.
--
-- Run: nvim --headless --clean -c "luafile check.lua" FILE
-- Environment: SST_LSP_CMD (JSON argv of the server), SST_LSP_ROOT (workspace folder),
-- SST_LSP_LINE / SST_LSP_CHAR (0-based position for go-to-definition), SST_LSP_OUT (where the
-- JSON result goes). Writes {diagnostics = [...], definition = [...], encoding = ...} or
-- {error = "..."}, then quits.

-- The shared helpers sit next to this script.
local client_lib = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h") .. "/client.lua")

local function run(client_id, bufnr)
  -- Wait for the diagnostics the server publishes for this buffer.
  local got = client_lib.wait_diagnostics(bufnr)
  local diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = (d.user_data and d.user_data.lsp) or {}
    table.insert(diagnostics, {
      lnum = d.lnum,
      col = d.col,
      end_col = d.end_col,
      message = d.message,
      severity = d.severity,
      source = d.source,
      code = d.code or lsp.code,
    })
  end

  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = tonumber(os.getenv("SST_LSP_LINE")), character = tonumber(os.getenv("SST_LSP_CHAR")) },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/definition", params, 30000)
  local definition = {}
  for _, r in pairs(responses or {}) do
    if r.err then
      return { error = "definition failed: " .. vim.inspect(r.err) }
    end
    local result = r.result or {}
    if result.uri then
      result = { result }
    end
    for _, loc in ipairs(result) do
      table.insert(definition, { uri = loc.uri or loc.targetUri, range = loc.range or loc.targetSelectionRange })
    end
  end

  local client = vim.lsp.get_client_by_id(client_id)
  local encoding = client and client.offset_encoding or "?"
  vim.lsp.stop_client(client_id)
  return { waited = got, diagnostics = diagnostics, definition = definition, encoding = encoding }
end

client_lib.main(run)
