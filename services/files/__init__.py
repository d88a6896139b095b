"""Files: the caller's uploaded media, checked by content, presigned, archived."""
