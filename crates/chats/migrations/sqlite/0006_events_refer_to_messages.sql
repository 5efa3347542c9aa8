-- An event about a message's content (message.new, message.edited, message.attachment) keeps
-- only the message's seq; its text and card are read from `messages` when the event is
-- delivered, so a delete or an edit leaves no old copy in the log.
ALTER TABLE events ADD COLUMN message_seq INTEGER;
UPDATE events
SET message_seq = json_extract(payload, '$.data.seq'),
    payload = json_set(payload, '$.data', json_object('seq', json_extract(payload, '$.data.seq')))
WHERE kind IN ('message.new', 'message.edited', 'message.attachment')
  AND (json_type(payload, '$.data.text') IS NOT NULL OR json_type(payload, '$.data.attachment') IS NOT NULL);
