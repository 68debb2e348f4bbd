-- What the headless Neovim scripts share: start sst-lsp as a client of the current buffer,
-- wait for its diagnostics, and write a script's result as JSON before quitting.
--
-- Load it from a script with `dofile(<this folder> .. "/client.lua")`. Environment:
-- SST_LSP_CMD (JSON argv of the server), SST_LSP_ROOT (workspace folder), SST_LSP_OUT (where the
-- JSON result goes).

local M = {}

-- Starts the server for SST_LSP_ROOT and attaches it to the current buffer: returns the client
-- id and the buffer, or nil and an error message.
function M.start()
  local cmd = vim.fn.json_decode(os.getenv("SST_LSP_CMD"))
  local root = os.getenv("SST_LSP_ROOT")
  local client_id = vim.lsp.start_client({
    name = "sst-lsp",
    cmd = cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = "ws" } },
  })
  if not client_id then
    return nil, "the server did not start"
  end
  local bufnr = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(bufnr, client_id)
  return client_id, bufnr
end

-- Waits (30 s at most) for the diagnostics the server publishes for `bufnr`; true when some came.
function M.wait_diagnostics(bufnr)
  return vim.wait(30000, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 20)
end

-- Starts the server (`M.start`), runs `fn(client_id, bufnr)`, writes what it returns (or
-- {error = "..."} when the server did not start or `fn` raised) to SST_LSP_OUT, and quits Neovim.
function M.main(fn)
  local ok, result = pcall(function()
    local client_id, bufnr = M.start()
    if not client_id then
      return { error = bufnr }
    end
    return fn(client_id, bufnr)
  end)
  if not ok then
    result = { error = tostring(result) }
  end
  local f = assert(io.open(os.getenv("SST_LSP_OUT"), "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qa!")
end

return M
