// dfl-sort entry point: parsing, help and exit statuses shared by every tool.
import ToolSupport

DflSort.runAsTool()
