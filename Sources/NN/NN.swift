// The NN module (being written; see ../shared/DESIGN.md).
