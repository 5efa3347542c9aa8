-- One shape per event kind: a change to a message not every member may see was logged as
-- `message.edited` {seq, edited_at} or `message.attachment` {seq, version}; it is now its own
-- kind, `message.changed` {seq} (refetch the message if you show it).
UPDATE events
SET kind = 'message.changed',
    payload = json_set(payload, '$.kind', 'message.changed', '$.data', json_object('seq', json_extract(payload, '$.data.seq')))
WHERE kind IN ('message.edited', 'message.attachment') AND message_seq IS NULL;
