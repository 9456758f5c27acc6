//! Where batches run: rayon's global pool (every core) or a cached pool of a given size.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// Pools built so far, by size (building one spawns its threads, so they are kept).
static POOLS: Mutex<Option<HashMap<usize, Arc<ThreadPool>>>> = Mutex::new(None);

/// Runs `f` on `threads` threads (`None`: every core).
pub fn install<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> Result<R, String> {
    let Some(n) = threads else {
        return Ok(f());
    };
    if n == 0 {
        return Err("num_threads must be at least 1 (or None for every core)".into());
    }
    let pool = {
        let mut pools = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
        let pools = pools.get_or_insert_with(HashMap::new);
        match pools.get(&n) {
            Some(pool) => Arc::clone(pool),
            None => {
                let pool = ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("stapes-{i}"))
                    .build()
                    .map_err(|e| format!("could not start {n} threads: {e}"))?;
                let pool = Arc::new(pool);
                pools.insert(n, Arc::clone(&pool));
                pool
            }
        }
    };
    Ok(pool.install(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_on_a_pool_of_the_asked_size() {
        assert_eq!(install(Some(3), rayon::current_num_threads).unwrap(), 3);
        assert_eq!(install(Some(1), rayon::current_num_threads).unwrap(), 1);
        assert!(install(Some(0), || ()).is_err());
        assert_eq!(install(None, || 7).unwrap(), 7);
    }
}
