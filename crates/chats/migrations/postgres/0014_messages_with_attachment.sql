-- A chat's files and media (history with `with_attachment=true`) without reading its plain
-- messages in between.
CREATE INDEX messages_with_attachment ON messages (chat_id, seq) WHERE attachment IS NOT NULL;
