// The Data module (being written; see ../shared/DESIGN.md).
