-- Invite links act for the member who made them (0007 on): links whose maker has left, was
-- removed or may no longer invite (bit 8 is the `invite` right; group members hold it by
-- default, channel members do not) stop working now, as new ones do from here on.
UPDATE invite_links SET revoked_at = (extract(epoch FROM now()) * 1000)::bigint
WHERE revoked_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM members m JOIN chats c ON c.id = m.chat_id
    WHERE m.chat_id = invite_links.chat_id AND m.user_id = invite_links.created_by
      AND (m.role = 'owner'
           OR ((m.role = 'admin' OR (m.role = 'member' AND c.kind = 'group') OR (m.allow_bits & 8) <> 0)
               AND (m.deny_bits & 8) = 0))
);
