-- One shape per event kind: a change to a message not every member may see was logged as
-- `message.edited` {seq, edited_at} or `message.attachment` {seq, version}; it is now its own
-- kind, `message.changed` {seq} (refetch the message if you show it).
UPDATE events
SET kind = 'message.changed',
    payload = jsonb_set(
        jsonb_set(payload::jsonb, '{kind}', '"message.changed"'),
        '{data}', jsonb_build_object('seq', payload::jsonb -> 'data' -> 'seq'))::text
WHERE kind IN ('message.edited', 'message.attachment') AND message_seq IS NULL;
