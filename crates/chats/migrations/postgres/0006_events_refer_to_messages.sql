-- An event about a message's content (message.new, message.edited, message.attachment) keeps
-- only the message's seq; its text and card are read from `messages` when the event is
-- delivered, so a delete or an edit leaves no old copy in the log.
ALTER TABLE events ADD COLUMN message_seq BIGINT;
UPDATE events
SET message_seq = (payload::jsonb -> 'data' ->> 'seq')::bigint,
    payload = jsonb_set(payload::jsonb, '{data}', jsonb_build_object('seq', (payload::jsonb -> 'data' -> 'seq')))::text
WHERE kind IN ('message.new', 'message.edited', 'message.attachment')
  AND (payload::jsonb -> 'data' -> 'text' IS NOT NULL OR payload::jsonb -> 'data' -> 'attachment' IS NOT NULL);
