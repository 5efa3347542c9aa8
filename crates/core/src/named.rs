//! Things modules offer by service name rather than by type: several services each offer one
//! of the same kind (an event stream, a sync source), here or — through the registry — from
//! another process.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

pub struct ByName<T: ?Sized>(RwLock<BTreeMap<&'static str, Arc<T>>>);

impl<T: ?Sized> Default for ByName<T> {
    fn default() -> Self {
        ByName(RwLock::default())
    }
}

impl<T: ?Sized> ByName<T> {
    pub fn provide(&self, service: &'static str, value: Arc<T>) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).insert(service, value);
    }

    pub fn get(&self, service: &str) -> Option<Arc<T>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).get(service).cloned()
    }

    /// Like [`get`](Self::get), with an error naming the service that must run here or be a
    /// peer.
    pub fn require(&self, service: &str) -> anyhow::Result<Arc<T>> {
        self.get(service).ok_or_else(|| {
            anyhow::anyhow!(
                "the `{service}` service offers nothing of this kind here: run it in this process, or give its \
                 address as peers.{service}"
            )
        })
    }

    /// Everything offered, by service name.
    pub fn all(&self) -> Vec<(&'static str, Arc<T>)> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.iter().map(|(name, value)| (*name, value.clone())).collect()
    }
}
