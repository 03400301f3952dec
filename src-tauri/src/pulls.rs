//! Streams the web view pulls a step at a time — folder listings, searches, folder sizes — by
//! id: it asks for the next step when it wants one (so nothing is read ahead of it) and closes
//! the stream when done with it (which stops the listing under it).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::IpcResult;

pub type Pull<T> = BoxStream<'static, ferry_engine::Result<T>>;

/// Streams open at once of one kind (the window keeps one or two of each).
const MAX_OPEN: usize = 64;

pub struct Pulls<T> {
    open: Mutex<HashMap<u32, Arc<tokio::sync::Mutex<Pull<T>>>>>,
    next: AtomicU32,
}

impl<T> Default for Pulls<T> {
    fn default() -> Self {
        Self {
            open: Mutex::new(HashMap::new()),
            next: AtomicU32::new(1),
        }
    }
}

impl<T> Pulls<T> {
    pub fn add(&self, stream: Pull<T>) -> u32 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.insert(id, Arc::new(tokio::sync::Mutex::new(stream)));
        // A page that never closes its streams must not keep connections and buffers forever:
        // past the limit the oldest goes (asking it for more then says it is gone).
        while open.len() > MAX_OPEN {
            let Some(&oldest) = open.keys().min() else {
                break;
            };
            open.remove(&oldest);
        }
        id
    }

    pub fn get(&self, id: u32) -> Option<Arc<tokio::sync::Mutex<Pull<T>>>> {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }

    /// The next step of stream `id` (`None` once it has ended); its end or an error closes it.
    /// `gone` says what to do when it was closed already.
    pub async fn next(&self, id: u32, gone: &str) -> IpcResult<Option<T>> {
        let stream = self.get(id).ok_or_else(|| crate::error::invalid(gone))?;
        let next = stream.lock().await.next().await;
        match next {
            Some(Ok(step)) => Ok(Some(step)),
            Some(Err(e)) => {
                self.close(id);
                Err(e.into())
            }
            None => {
                self.close(id);
                Ok(None)
            }
        }
    }

    pub fn close(&self, id: u32) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }
}
