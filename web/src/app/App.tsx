import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { isApiError } from '../api/errors';
import { session } from '../features/auth/session';
import { useSession } from '../features/auth/useSession';
import { Spinner } from '../ui/common';
import { I18nProvider, useI18n } from '../i18n/index';
import { LoginPage, RegisterPage } from '../features/auth/AuthPages';
import { JoinPage } from '../features/chats/JoinPage';
import { Shell } from './Shell';
import { startLive } from '../features/realtime/live';
import { connection } from '../features/realtime/state';
import { resetPresenceAsked } from '../features/realtime/state';
import { clearOutbox, startOutbox } from '../features/chats/outbox';
import { sentReads } from '../state/queries';
import { forgetWorkerConfig } from '../features/notifications/worker';

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (count, e) => count < 2 && !(isApiError(e) && e.status >= 400 && e.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}

/** Restores the session from the refresh cookie once per page load. */
function Boot({ children }: { children: ReactNode }) {
  const s = useSession();
  const { t } = useI18n();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (s.status !== 'unknown') return;
    let cancelled = false;
    session.refresh().then(
      (ok) => {
        if (!ok && !cancelled) session.clear();
      },
      () => {
        if (!cancelled) setFailed(true);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [s.status, failed]);
  if (s.status === 'unknown') {
    return (
      <div className="splash">
        {failed ? (
          <div className="stack center">
            <p>{t('error.network')}</p>
            <button className="button primary" onClick={() => setFailed(false)}>
              {t('common.retry')}
            </button>
          </div>
        ) : (
          <Spinner label={t('common.loading')} />
        )}
      </div>
    );
  }
  return <>{children}</>;
}

/** Keeps the realtime link running while signed in, and drops cached data on sign-out. */
function LiveLink() {
  const s = useSession();
  const qc = useQueryClient();
  const userId = s.account?.id ?? 0;
  useEffect(() => {
    if (s.status !== 'signed_in') return;
    const l = startLive(qc, session);
    return () => {
      l.stop();
      connection.set({ status: 'connecting', everOnline: false });
    };
  }, [s.status, s.sessionId, qc]);
  // Messages written offline go out from the outbox (kept in IndexedDB across reloads).
  useEffect(() => {
    if (s.status !== 'signed_in' || !userId) return;
    return startOutbox(qc, userId);
  }, [s.status, userId, qc]);
  useEffect(() => {
    if (s.status === 'signed_out') {
      qc.clear();
      void forgetWorkerConfig();
      resetPresenceAsked();
      sentReads.clear();
      void clearOutbox();
    }
  }, [s.status, qc]);
  return null;
}

function RequireAuth({ children }: { children: ReactNode }) {
  const s = useSession();
  const loc = useLocation();
  if (s.status !== 'signed_in') {
    // Asked for a page while signed out: come back to it. Signed out here (say, from
    // Settings): the next sign-in starts at the chat list.
    const next = session.wasSignedIn ? '/' : loc.pathname + loc.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

function GuestOnly({ children }: { children: ReactNode }) {
  const s = useSession();
  const loc = useLocation();
  if (s.status === 'signed_in') {
    const next = new URLSearchParams(loc.search).get('next');
    return <Navigate to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/'} replace />;
  }
  return <>{children}</>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<GuestOnly><LoginPage /></GuestOnly>} />
      <Route path="/register" element={<GuestOnly><RegisterPage /></GuestOnly>} />
      <Route path="/join/:code" element={<RequireAuth><JoinPage /></RequireAuth>} />
      <Route path="/chat/:chatId" element={<RequireAuth><Shell /></RequireAuth>} />
      <Route path="/settings" element={<RequireAuth><Shell page="settings" /></RequireAuth>} />
      <Route path="/notifications" element={<RequireAuth><Shell page="notifications" /></RequireAuth>} />
      <Route path="/admin/jobs" element={<RequireAuth><Shell page="jobs" /></RequireAuth>} />
      <Route path="/automation/*" element={<RequireAuth><Shell page="automation" /></RequireAuth>} />
      <Route path="/" element={<RequireAuth><Shell /></RequireAuth>} />
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}

export function App({ client }: { client?: QueryClient }) {
  const [qc] = useState(() => client ?? makeQueryClient());
  return (
    <QueryClientProvider client={qc}>
      <I18nProvider>
        <BrowserRouter>
          <Boot>
            <LiveLink />
            <AppRoutes />
          </Boot>
        </BrowserRouter>
      </I18nProvider>
    </QueryClientProvider>
  );
}
