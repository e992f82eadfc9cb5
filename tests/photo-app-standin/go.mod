module photoplane.local/photo-app-standin

go 1.26
