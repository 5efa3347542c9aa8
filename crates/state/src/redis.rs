//! Shared state in Redis, for several processes.
//!
//! Keys, under a prefix (`state.redis_prefix`, default `hybrid`):
//!
//! | key                      | type    | holds                                               |
//! |--------------------------|---------|-----------------------------------------------------|
//! | `<p>:n:<budget key>`     | string  | attempts in the current window (expires with it)    |
//! | `<p>:f:<key>`            | string  | a flag set once for a while (typing)                |
//! | `<p>:presence:<user id>` | zset    | process ids holding the user's sockets, scored by   |
//! |                          |         | expiry (ms); a dead process's entry expires          |
//!
//! Multi-key operations run as Lua scripts, so they are atomic; keys of one call are not
//! assumed to share a cluster slot, so Redis Cluster is not supported (a single Redis or a
//! Sentinel-managed primary is).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use crate::{BoxFuture, Budget, SharedState, StateError, ceil_secs};

#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://host:port/db`
    pub url: String,
    /// Key prefix: one per deployment sharing a Redis.
    pub prefix: String,
}

pub struct RedisState {
    connection: ConnectionManager,
    prefix: String,
    /// This process, in presence entries.
    node: String,
    take: Script,
    refund: Script,
    join: Script,
    leave: Script,
}

/// KEYS: budgets; ARGV[1]: window (ms); ARGV[1 + i]: limit of KEYS[i]. Returns 0 when taken,
/// else the milliseconds until the spent budget's window ends.
const TAKE: &str = r"
local wait = 0
for i, key in ipairs(KEYS) do
  local used = tonumber(redis.call('GET', key) or '0')
  if used >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return 0
";

const REFUND: &str = r"
for _, key in ipairs(KEYS) do
  local used = tonumber(redis.call('GET', key) or '0')
  if used > 0 then redis.call('DECR', key) end
end
return 0
";

/// KEYS[1]: presence zset; ARGV: node, now (ms), ttl (ms). Returns the live entries after.
const JOIN: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[2] + ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('ZCARD', KEYS[1])
";

/// KEYS[1]: presence zset; ARGV: node, now (ms). Returns the live entries after.
const LEAVE: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
return redis.call('ZCARD', KEYS[1])
";

fn unavailable(err: redis::RedisError) -> StateError {
    StateError(format!("Redis: {err}"))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

impl RedisState {
    /// Connects lazily: an unreachable Redis makes calls (and `check`) fail until it is back,
    /// it does not stop the process from starting.
    pub fn new(config: RedisConfig) -> Result<RedisState, StateError> {
        let client = redis::Client::open(config.url.as_str()).map_err(unavailable)?;
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, manager).map_err(unavailable)?;
        let node = format!("{}-{}-{:x}", hostname(), std::process::id(), now_ms());
        Ok(RedisState {
            connection,
            prefix: config.prefix,
            node,
            take: Script::new(TAKE),
            refund: Script::new(REFUND),
            join: Script::new(JOIN),
            leave: Script::new(LEAVE),
        })
    }

    /// Runs the JOIN or LEAVE script for this process; returns the user's live entries after.
    async fn presence_update(&self, script: &Script, user_id: i64, ttl: Option<Duration>) -> Result<i64, StateError> {
        let mut call = script.key(self.key("presence", user_id));
        call.arg(&self.node).arg(now_ms());
        if let Some(ttl) = ttl {
            call.arg(ttl.as_millis() as u64);
        }
        call.invoke_async(&mut self.connection.clone())
            .await
            .map_err(unavailable)
    }

    fn key(&self, kind: &str, key: impl std::fmt::Display) -> String {
        format!("{}:{kind}:{key}", self.prefix)
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".into())
}

impl SharedState for RedisState {
    fn take<'a>(
        &'a self,
        budgets: &'a [(&'a str, u32)],
        window: Duration,
    ) -> BoxFuture<'a, Result<Budget, StateError>> {
        Box::pin(async move {
            let mut call = self.take.prepare_invoke();
            call.arg(window.as_millis() as u64);
            for &(key, limit) in budgets {
                call.key(self.key("n", key)).arg(limit.max(1));
            }
            let wait_ms: i64 = call
                .invoke_async(&mut self.connection.clone())
                .await
                .map_err(unavailable)?;
            Ok(if wait_ms > 0 {
                Budget::Spent {
                    retry_after_secs: ceil_secs(wait_ms as u64),
                }
            } else {
                Budget::Taken
            })
        })
    }

    fn refund<'a>(&'a self, keys: &'a [&'a str]) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            let mut call = self.refund.prepare_invoke();
            for key in keys {
                call.key(self.key("n", key));
            }
            call.invoke_async::<i64>(&mut self.connection.clone())
                .await
                .map_err(unavailable)?;
            Ok(())
        })
    }

    fn clear<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.connection
                .clone()
                .del::<_, i64>(self.key("n", key))
                .await
                .map_err(unavailable)?;
            Ok(())
        })
    }

    fn set_once<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StateError>> {
        Box::pin(async move {
            let set: Option<String> = redis::cmd("SET")
                .arg(self.key("f", key))
                .arg(1)
                .arg("PX")
                .arg(ttl.as_millis().max(1) as u64)
                .arg("NX")
                .query_async(&mut self.connection.clone())
                .await
                .map_err(unavailable)?;
            Ok(set.is_some())
        })
    }

    fn flag<'a>(&'a self, key: &'a str, ttl: Option<Duration>) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            let key = self.key("f", key);
            let mut connection = self.connection.clone();
            match ttl {
                Some(ttl) => {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(1)
                        .arg("PX")
                        .arg(ttl.as_millis().max(1) as u64)
                        .query_async::<()>(&mut connection)
                        .await
                }
                None => connection.del::<_, ()>(key).await,
            }
            .map_err(unavailable)
        })
    }

    fn flagged<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StateError>> {
        Box::pin(async move {
            self.connection
                .clone()
                .exists::<_, bool>(self.key("f", key))
                .await
                .map_err(unavailable)
        })
    }

    fn presence_join(&self, user_id: i64, ttl: Duration) -> BoxFuture<'_, Result<bool, StateError>> {
        Box::pin(async move { Ok(self.presence_update(&self.join, user_id, Some(ttl)).await? == 1) })
    }

    fn presence_leave(&self, user_id: i64) -> BoxFuture<'_, Result<bool, StateError>> {
        Box::pin(async move { Ok(self.presence_update(&self.leave, user_id, None).await? == 0) })
    }

    fn presence_refresh<'a>(&'a self, user_ids: &'a [i64], ttl: Duration) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            let ttl_ms = ttl.as_millis() as u64;
            let expires = now_ms() + ttl_ms;
            for chunk in user_ids.chunks(500) {
                let mut pipe = redis::pipe();
                for &user_id in chunk {
                    let key = self.key("presence", user_id);
                    pipe.zadd(&key, &self.node, expires).ignore();
                    pipe.pexpire(&key, ttl_ms as i64).ignore();
                }
                pipe.query_async::<()>(&mut self.connection.clone())
                    .await
                    .map_err(unavailable)?;
            }
            Ok(())
        })
    }

    fn online<'a>(&'a self, user_ids: &'a [i64]) -> BoxFuture<'a, Result<Vec<bool>, StateError>> {
        Box::pin(async move {
            if user_ids.is_empty() {
                return Ok(Vec::new());
            }
            let now = now_ms();
            let mut pipe = redis::pipe();
            for &user_id in user_ids {
                pipe.zcount(self.key("presence", user_id), now, "+inf");
            }
            let counts: Vec<i64> = pipe
                .query_async(&mut self.connection.clone())
                .await
                .map_err(unavailable)?;
            Ok(counts.into_iter().map(|c| c > 0).collect())
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(async move {
            redis::cmd("PING")
                .query_async::<String>(&mut self.connection.clone())
                .await
                .map_err(unavailable)?;
            Ok(())
        })
    }
}
