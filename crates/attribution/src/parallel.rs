//! Order-preserving work over a slice on every core (scoped threads, no pool): tokenizing and
//! hashing documents.

/// Threads to use for CPU-bound work over `items` items.
pub fn threads_for(items: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.max(1))
}

/// `f` applied to every item, results in the items' order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads_for(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for p in parts {
            out.extend(p.join().expect("worker thread panicked"));
        }
        out
    })
}

/// Like [`map`] for a fallible `f`: the first error in item order.
pub fn try_map<T: Sync, R: Send, E: Send>(
    items: &[T],
    f: impl Fn(usize, &T) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    let indexed: Vec<(usize, &T)> = items.iter().enumerate().collect();
    map(&indexed, |(i, t)| f(*i, t)).into_iter().collect()
}
