export const keys = {
  chats: ['chats'] as const,
  chat: (id: number) => ['chat', id] as const,
  history: (id: number) => ['history', id] as const,
  members: (id: number) => ['members', id] as const,
  pins: (id: number) => ['pins', id] as const,
  invites: (id: number) => ['invites', id] as const,
  user: (id: number) => ['user', id] as const,
  me: ['me'] as const,
  account: ['account'] as const,
  sessions: ['sessions'] as const,
  /** Everything of the background-jobs screen (its refresh button invalidates this prefix). */
  adminJobs: ['admin-jobs'] as const,
  jobsOverview: ['admin-jobs', 'overview'] as const,
  jobList: (module: string, state: string, queue: string, limit: number) => ['admin-jobs', 'list', module, state, queue, limit] as const,
};
