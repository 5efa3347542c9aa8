"""Telethon's serialisation of the requests Hybrid's telegram_user connector sends, with the
same values as src/telegram_user/wire_check.rs: one line per request, "name hex". Telethon
(PyPI) is an independent implementation of Telegram's TL; it builds these offline."""
from telethon.tl import functions, types

channel = types.InputChannel(channel_id=555, access_hash=555007)
channel_peer = types.InputPeerChannel(channel_id=555, access_hash=555007)
user = types.InputUser(user_id=7, access_hash=7007)
user_peer = types.InputPeerUser(user_id=7, access_hash=7007)

requests = {
    "get_self": functions.users.GetUsersRequest(id=[types.InputUserSelf()]),
    "resolve_username": functions.contacts.ResolveUsernameRequest(username="anna_k"),
    "import_contact": functions.contacts.ImportContactsRequest(
        contacts=[types.InputPhoneContact(client_id=0, phone="+79001234567", first_name="+79001234567", last_name="")]
    ),
    "latest_dialogs": functions.messages.GetDialogsRequest(
        offset_date=None, offset_id=0, offset_peer=types.InputPeerEmpty(), limit=100, hash=0
    ),
    "get_participant": functions.channels.GetParticipantRequest(channel=channel, participant=user_peer),
    "get_participant_self": functions.channels.GetParticipantRequest(channel=channel, participant=types.InputPeerSelf()),
    "invite_to_channel": functions.channels.InviteToChannelRequest(channel=channel, users=[user]),
    "export_invite": functions.messages.ExportChatInviteRequest(peer=channel_peer, title="Весенняя кампания, spring 2027 a"),
    "send_message": functions.messages.SendMessageRequest(
        peer=user_peer, message="Привет! Join us ✓", random_id=-1234567890123
    ),
    "post": functions.messages.SendMessageRequest(
        peer=channel_peer,
        message="News of the day: see more",
        random_id=987654321,
        entities=[
            types.MessageEntityBold(offset=0, length=4),
            types.MessageEntityItalic(offset=0, length=15),
            types.MessageEntityTextUrl(offset=17, length=8, url="https://hybrid.example/more"),
            types.MessageEntityPre(offset=21, length=4, language="rust"),
            types.MessageEntityBlockquote(offset=0, length=25),
        ],
    ),
    "get_participants": functions.channels.GetParticipantsRequest(
        channel=channel, filter=types.ChannelParticipantsRecent(), offset=200, limit=200, hash=0
    ),
    "get_history": functions.messages.GetHistoryRequest(
        peer=channel_peer, offset_id=50, offset_date=None, add_offset=0, limit=100, max_id=0, min_id=0, hash=0
    ),
    "export_login_token": functions.auth.ExportLoginTokenRequest(
        api_id=1234, api_hash="0123456789abcdef0123456789abcdef", except_ids=[]
    ),
    "import_login_token": functions.auth.ImportLoginTokenRequest(token=bytes([9, 9, 1, 250])),
    "get_password": functions.account.GetPasswordRequest(),
    "check_password": functions.auth.CheckPasswordRequest(
        password=types.InputCheckPasswordSRP(srp_id=31337, A=bytes(range(256)), M1=bytes(range(32)))
    ),
}

for name, request in requests.items():
    print(name, bytes(request).hex())
