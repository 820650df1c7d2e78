//! Lists read lazily, page by page, by following `links.next` (cursor pagination for
//! invoices, page numbers for services: the link covers both).

use std::collections::{HashSet, VecDeque};

use futures_util::Stream;
use serde_json::Value;

use super::http::{self, Call};
use super::Client;
use crate::error::{Error, ErrorKind, Result};

/// The items of a list, fetched one page at a time as they are read.
pub struct Pager<T> {
    client: Client,
    next: Option<String>,
    /// Every page requested so far: a link back to one of them would page forever.
    seen: HashSet<String>,
    buffer: VecDeque<T>,
    read: Box<dyn Fn(Value) -> Option<T> + Send + Sync>,
}

impl<T> std::fmt::Debug for Pager<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager").field("next", &self.next).finish()
    }
}

impl<T: Send + 'static> Pager<T> {
    pub(crate) fn new(client: Client, first: String, read: fn(Value) -> Option<T>) -> Pager<T> {
        Pager {
            client,
            next: Some(first),
            seen: HashSet::new(),
            buffer: VecDeque::new(),
            read: Box::new(read),
        }
    }

    /// The same list with each item converted by `convert`.
    pub fn map<U: Send + 'static>(self, convert: fn(T) -> U) -> Pager<U> {
        let read = self.read;
        Pager {
            client: self.client,
            next: self.next,
            seen: self.seen,
            buffer: self.buffer.into_iter().map(convert).collect(),
            read: Box::new(move |value| read(value).map(convert)),
        }
    }

    /// The next item, fetching the next page when the current one is used up.
    pub async fn next(&mut self) -> Result<Option<T>> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Ok(Some(item));
            }
            let Some(target) = self.next.take() else {
                return Ok(None);
            };
            self.seen.insert(self.absolute(&target));
            let mut page = self.client.run(Call::get(target.clone(), true)).await?;
            let items = match page.data.get_mut("data").map(Value::take) {
                Some(Value::Array(items)) => items,
                _ => return Err(http::decode_error(&page, "a list answer has no data array")),
            };
            let empty = items.is_empty();
            for item in items {
                let parsed = (self.read)(item)
                    .ok_or_else(|| http::decode_error(&page, "a list item has no id"))?;
                self.buffer.push_back(parsed);
            }
            self.next = match page.data["links"]["next"].as_str() {
                Some(link) if !link.is_empty() && !empty => {
                    let next = self.resolve(link)?;
                    if self.seen.contains(&self.absolute(&next)) {
                        return Err(http::decode_error(
                            &page,
                            "links.next points to a page already read: the list would never end",
                        )
                        .with_code("pagination_cycle"));
                    }
                    Some(next)
                }
                _ => None,
            };
        }
    }

    /// Reads up to `limit` items (all when `None`).
    pub async fn collect(mut self, limit: Option<usize>) -> Result<Vec<T>> {
        let mut items = Vec::new();
        while limit.is_none_or(|l| items.len() < l) {
            match self.next().await? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        Ok(items)
    }

    /// The items as a `Stream`; it ends after the first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<T>> + Send {
        futures_util::stream::unfold(Some(self), |pager| async move {
            let mut pager = pager?;
            match pager.next().await {
                Ok(Some(item)) => Some((Ok(item), Some(pager))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        })
    }

    /// The URL a target is sent to (as the transport does), to recognise a page seen before.
    fn absolute(&self, target: &str) -> String {
        if target.starts_with("https://") || target.starts_with("http://") {
            target.to_owned()
        } else {
            format!("{}{target}", self.client.config().environment.base_url())
        }
    }

    /// `links.next` resolved against the base URL; other origins are refused (the Basic-auth
    /// header must never travel to another host).
    fn resolve(&self, link: &str) -> Result<String> {
        let base =
            reqwest::Url::parse(self.client.config().environment.base_url()).map_err(|_| {
                Error::new(
                    ErrorKind::Configuration,
                    "invalid_url",
                    "the base URL does not parse",
                )
            })?;
        let next = base.join(link).map_err(|_| {
            Error::new(ErrorKind::Decode, "invalid_link", "links.next is not a URL")
        })?;
        if next.origin() != base.origin() {
            return Err(Error::new(
                ErrorKind::Decode,
                "foreign_link",
                "links.next points to another host; not following it with your credentials",
            ));
        }
        Ok(next.to_string())
    }
}
