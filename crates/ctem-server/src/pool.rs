//! A small pool of store connections, SQLite or PostgreSQL. SQLite in WAL
//! mode serves many readers at once and one writer; PostgreSQL serves many
//! of both (writers serialise on one advisory lock, see `ctem_store::db`).
//! Each connection is used by one blocking task at a time; a PostgreSQL
//! connection that broke (server restart) is dropped, not reused.

use ctem_store::{Store, StoreError};
use std::sync::{Condvar, Mutex};

pub(crate) struct Pool {
    /// A SQLite file path or a PostgreSQL URL.
    location: String,
    size: usize,
    inner: Mutex<(Vec<Store>, usize)>,
    ready: Condvar,
}

pub(crate) struct Conn<'a> {
    pool: &'a Pool,
    store: Option<Store>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        // Present from checkout to drop.
        self.store.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        self.store.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.store.take()
            && let Ok(mut g) = self.pool.inner.lock()
        {
            if s.is_broken() {
                g.1 = g.1.saturating_sub(1);
            } else {
                g.0.push(s);
            }
            self.pool.ready.notify_one();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // A PostgreSQL client closes its connection with a blocking call,
        // which panics on a thread that drives the async runtime, and the
        // last reference to the pool goes away there when the server shuts
        // down: close the connections on a plain thread.
        let stores = match self.inner.get_mut() {
            Ok(g) => std::mem::take(&mut g.0),
            Err(p) => std::mem::take(&mut p.into_inner().0),
        };
        if !stores.is_empty() {
            let _ = std::thread::spawn(move || drop(stores)).join();
        }
    }
}

impl Pool {
    pub(crate) fn new(location: String, size: usize) -> Pool {
        Pool {
            location,
            size: size.max(1),
            inner: Mutex::new((Vec::new(), 0)),
            ready: Condvar::new(),
        }
    }

    /// A connection, opening a new one while fewer than `size` exist, else
    /// waiting for one to come back.
    pub(crate) fn get(&self) -> Result<Conn<'_>, StoreError> {
        let mut g = self
            .inner
            .lock()
            .map_err(|_| StoreError::Other("store pool poisoned".into()))?;
        loop {
            if let Some(s) = g.0.pop() {
                return Ok(Conn {
                    pool: self,
                    store: Some(s),
                });
            }
            if g.1 < self.size {
                g.1 += 1;
                drop(g);
                return match Store::open_location(&self.location) {
                    Ok(s) => Ok(Conn {
                        pool: self,
                        store: Some(s),
                    }),
                    Err(e) => {
                        if let Ok(mut g) = self.inner.lock() {
                            g.1 -= 1;
                        }
                        Err(e)
                    }
                };
            }
            g = self
                .ready
                .wait(g)
                .map_err(|_| StoreError::Other("store pool poisoned".into()))?;
        }
    }
}
