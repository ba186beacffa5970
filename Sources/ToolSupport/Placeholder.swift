// placeholder, replaced by the ToolSupport module
