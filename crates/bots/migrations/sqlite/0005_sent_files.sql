-- How a bot sent each file (photo, document, audio, voice, video, animation): the Bot API shows
-- the message as that kind, as Telegram does (a picture sent with sendDocument is a document).
-- People's files go by their type and have no row.
CREATE TABLE sent_files (
    chat_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (chat_id, seq)
);
