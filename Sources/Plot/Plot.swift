// The Plot module (being written; see ../shared/DESIGN.md).
