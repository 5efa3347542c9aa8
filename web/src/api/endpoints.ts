/** One typed function per endpoint the client uses. */
import { client, type Client } from './client';
import type {
  AccountInfo,
  ChatInfo,
  ChatPage,
  CreateChat,
  CreateInvite,
  HistoryPage,
  InviteLink,
  InvitePreview,
  LoginRequest,
  MemberInfo,
  Message,
  Presence,
  Profile,
  ProfilePage,
  ReactionCount,
  ReadMarker,
  RegisterRequest,
  RevokedCount,
  SearchPage,
  SessionInfo,
  SyncRequest,
  SyncResponse,
  TokenResponse,
  TotpSetupResponse,
  UpdateMember,
} from './types';

const e = encodeURIComponent;

export function endpoints(c: Client) {
  return {
    // auth
    register: (req: Omit<RegisterRequest, 'refresh_in_cookie'>) =>
      c.request<TokenResponse>('POST', '/auth/register', { body: { ...req, refresh_in_cookie: true }, auth: false }),
    login: (req: Omit<LoginRequest, 'refresh_in_cookie'>) =>
      c.request<TokenResponse>('POST', '/auth/login', { body: { ...req, refresh_in_cookie: true }, auth: false }),
    account: () => c.get<AccountInfo>('/auth/account'),
    logout: () => c.post<void>('/auth/logout'),
    sessions: () => c.get<SessionInfo[]>('/auth/sessions'),
    revokeSession: (id: number) => c.del<void>(`/auth/sessions/${id}`),
    revokeOthers: () => c.post<RevokedCount>('/auth/sessions/revoke-others'),
    changePassword: (current_password: string, new_password: string) =>
      c.post<RevokedCount>('/auth/password', { current_password, new_password }),
    totpSetup: (password: string) => c.post<TotpSetupResponse>('/auth/totp/setup', { password }),
    totpConfirm: (code: string) => c.post<void>('/auth/totp/confirm', { code }),
    totpDisable: (password: string, code: string) => c.post<void>('/auth/totp/disable', { password, code }),

    // users
    me: () => c.get<Profile>('/users/me'),
    updateMe: (update: { display_name?: string; bio?: string }) => c.patch<Profile>('/users/me', update),
    user: (id: number) => c.get<Profile>(`/users/${id}`),
    userByName: (username: string) => c.get<Profile>(`/users/by-username/${e(username)}`),
    searchUsers: (prefix: string, limit = 10) => c.get<ProfilePage>('/users/search', { prefix, limit }),

    // chats
    chats: (cursor?: string) => c.get<ChatPage>('/chats', { cursor, limit: 100 }),
    chat: (id: number) => c.get<ChatInfo>(`/chats/${id}`),
    createChat: (req: CreateChat) => c.post<ChatInfo>('/chats', req),
    updateChat: (id: number, update: { title?: string; description?: string }) =>
      c.patch<ChatInfo>(`/chats/${id}`, update),
    history: (id: number, from: { before?: number; after?: number; around?: number }, limit = 50) =>
      c.get<HistoryPage>(`/chats/${id}/messages`, { ...from, limit }),
    send: (id: number, body: { text: string; reply_to?: number; nonce: string }) =>
      c.post<Message>(`/chats/${id}/messages`, body),
    edit: (id: number, seq: number, text: string) => c.patch<Message>(`/chats/${id}/messages/${seq}`, { text }),
    remove: (id: number, seq: number) => c.del<void>(`/chats/${id}/messages/${seq}`),
    react: (id: number, seq: number, emoji: string) =>
      c.put<ReactionCount[]>(`/chats/${id}/messages/${seq}/reactions/${e(emoji)}`),
    unreact: (id: number, seq: number, emoji: string) =>
      c.del<ReactionCount[]>(`/chats/${id}/messages/${seq}/reactions/${e(emoji)}`),
    pins: (id: number) => c.get<Message[]>(`/chats/${id}/pins`),
    pin: (id: number, seq: number) => c.put<void>(`/chats/${id}/pins/${seq}`),
    unpin: (id: number, seq: number) => c.del<void>(`/chats/${id}/pins/${seq}`),
    read: (id: number, seq: number) => c.post<ReadMarker>(`/chats/${id}/read`, { seq }),
    typing: (id: number) => c.post<void>(`/chats/${id}/typing`),
    members: (id: number) => c.get<MemberInfo[]>(`/chats/${id}/members`, { limit: 200 }),
    addMembers: (id: number, user_ids: number[]) => c.post<void>(`/chats/${id}/members`, { user_ids }),
    updateMember: (id: number, userId: number, update: UpdateMember) =>
      c.patch<MemberInfo>(`/chats/${id}/members/${userId}`, update),
    removeMember: (id: number, userId: number) => c.del<void>(`/chats/${id}/members/${userId}`),
    leave: (id: number) => c.post<void>(`/chats/${id}/leave`),
    invites: (id: number) => c.get<InviteLink[]>(`/chats/${id}/invites`),
    createInvite: (id: number, req: CreateInvite = {}) => c.post<InviteLink>(`/chats/${id}/invites`, req),
    revokeInvite: (id: number, code: string) => c.del<void>(`/chats/${id}/invites/${e(code)}`),
    previewInvite: (code: string) => c.get<InvitePreview>(`/invites/${e(code)}`),
    joinInvite: (code: string) => c.post<ChatInfo>(`/invites/${e(code)}/join`),
    presence: (userIds: number[]) => c.get<Presence[]>('/realtime/presence', { user_ids: userIds.join(',') }),
    sync: (req: SyncRequest) => c.post<SyncResponse>('/sync', req),
    searchMessages: (q: string, cursor?: string) => c.get<SearchPage>('/search/messages', { q, cursor, limit: 30 }),
  };
}

export type Api = ReturnType<typeof endpoints>;

export const api = endpoints(client);
