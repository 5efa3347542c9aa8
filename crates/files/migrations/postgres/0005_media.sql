-- Pictures are processed by the files-media job (docs/files.md, "Pictures"). `media`: JSON
-- of what it found ({"state": "pending" | "ready" | "failed", width, height, blurhash,
-- thumbnails, error}); NULL for files that are not pictures.
ALTER TABLE files ADD COLUMN media TEXT;

-- What processing made of a file, each stored under its own key: thumbnails, by name
-- (`320.webp`, `320.jpg`, `1280.webp` …).
CREATE TABLE file_variants (
    file_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (file_id, name)
);
