// The Notebook module (being written; see ../shared/DESIGN.md).
