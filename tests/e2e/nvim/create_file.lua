-- Headless Neovim (0.7+): apply sst-lsp's "Create file" quick fix the way Neovim's
-- `vim.lsp.buf.code_action` does (the workspace edit, then the action's command), and save the
-- new buffer.
--
-- Run: nvim --headless --clean -c "luafile create_file.lua" FILE
-- Environment: SST_LSP_CMD (JSON argv of the server), SST_LSP_ROOT (workspace folder),
-- SST_LSP_OUT (where the JSON result goes). Writes {title, command, folder_before, saved,
-- written} or {error = "..."}, then quits.

-- The shared helpers sit next to this script.
local client_lib = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h") .. "/client.lua")

local function run(client_id, bufnr)
  client_lib.wait_diagnostics(bufnr)
  local diags = vim.diagnostic.get(bufnr)
  if #diags == 0 then
    return { error = "no diagnostics" }
  end
  local d = diags[1]
  -- The server matches its own findings by range; an empty list encodes as `[]`.
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum or d.lnum, character = d.end_col } },
    context = { diagnostics = {} },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 30000)
  local action
  for _, r in pairs(responses or {}) do
    for _, a in ipairs(r.result or {}) do
      if a.title:find("^Create") then
        action = a
      end
    end
  end
  if not action then
    return { error = "no Create action: " .. vim.inspect(responses) }
  end
  local client = vim.lsp.get_client_by_id(client_id)
  -- What `apply_action` does in Neovim's lsp/buf.lua: the edit, then the command.
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  local created
  for _, change in ipairs(action.edit.documentChanges or {}) do
    if change.kind == "create" then
      created = vim.uri_to_fname(change.uri)
    end
  end
  local folder_before = vim.fn.isdirectory(vim.fn.fnamemodify(created, ":h")) == 1
  local command = type(action.command) == "table" and action.command or nil
  if command then
    client.request_sync("workspace/executeCommand", { command = command.command, arguments = command.arguments }, 30000)
  end
  -- Save the new buffer as a user would.
  local saved = pcall(function()
    vim.cmd("buffer " .. vim.fn.fnameescape(created))
    vim.cmd("write")
  end)
  local written = ""
  local f = io.open(created, "r")
  if f then
    written = f:read("*a")
    f:close()
  end
  vim.lsp.stop_client(client_id)
  return {
    title = action.title,
    command = command and command.command or vim.NIL,
    folder_before = folder_before,
    saved = saved,
    written = written,
  }
end

client_lib.main(run)
