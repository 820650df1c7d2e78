//! `BlockingClient`: the async client driven on one shared runtime, for code without async.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

use super::{
    Balances, Client, Config, Item, ListOptions, Operation, Outcome, Pager, PaymentInvoice,
    PaymentInvoiceRequest, PaymentService, PayoutInvoice, PayoutInvoiceRequest, PayoutService,
    Prerequest, PrerequestRequest, Refund, RefundRequest, Response,
};
use crate::error::{Error, Result};
use crate::paycore::CallbackEvent;

fn runtime() -> Result<&'static Runtime> {
    static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("polypay-blocking")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::configuration("runtime", format!("cannot start the I/O runtime: {e}")))
}

fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::configuration(
            "blocking_in_async",
            "BlockingClient was called from async code; use Client there",
        ));
    }
    Ok(runtime()?.block_on(future))
}

/// The same operations as [`Client`], blocking the calling thread.
#[derive(Clone, Debug)]
pub struct BlockingClient {
    client: Client,
}

macro_rules! blocking {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $out:ty; )+) => {
        $(
            pub fn $name(&self $(, $arg: $ty)*) -> Result<$out> {
                block_on(self.client.$name($($arg),*))?
            }
        )+
    };
}

impl BlockingClient {
    pub fn new(config: Config) -> Result<BlockingClient> {
        Ok(BlockingClient {
            client: Client::new(config)?,
        })
    }

    /// The async client behind this one (same pool and settings).
    pub fn client(&self) -> &Client {
        &self.client
    }

    blocking! {
        fn payment_prerequest(&self, request: &PrerequestRequest) -> Response<Prerequest>;
        fn payout_prerequest(&self, request: &PrerequestRequest) -> Response<Prerequest>;
        fn create_payment_invoice_public(&self, request: &PaymentInvoiceRequest) -> Response<PaymentInvoice>;
        fn get_payment_invoice_public(&self, id: &str) -> Response<PaymentInvoice>;
        fn get_payout_invoice_public(&self, id: &str) -> Response<PayoutInvoice>;
        fn create_payment_invoice(&self, request: &PaymentInvoiceRequest) -> Response<PaymentInvoice>;
        fn get_payment_invoice(&self, id: &str) -> Response<PaymentInvoice>;
        fn find_payment_invoice(&self, reference_id: &str) -> Option<PaymentInvoice>;
        fn refund_payment_invoice(&self, id: &str, request: &RefundRequest) -> Response<Refund>;
        fn create_payout_invoice(&self, request: &PayoutInvoiceRequest) -> Response<PayoutInvoice>;
        fn get_payout_invoice(&self, id: &str) -> Response<PayoutInvoice>;
        fn find_payout_invoice(&self, reference_id: &str) -> Option<PayoutInvoice>;
        fn get_refund(&self, id: &str) -> Response<Refund>;
        fn get_payment_service(&self, id: &str) -> Response<PaymentService>;
        fn get_payout_service(&self, id: &str) -> Response<PayoutService>;
        fn balances(&self) -> Response<Balances>;
    }

    pub fn list_payment_invoices(&self, options: &ListOptions) -> BlockingPager<PaymentInvoice> {
        BlockingPager(self.client.list_payment_invoices(options))
    }

    pub fn list_payout_invoices(&self, options: &ListOptions) -> BlockingPager<PayoutInvoice> {
        BlockingPager(self.client.list_payout_invoices(options))
    }

    pub fn list_payment_services(&self, page_size: Option<u32>) -> BlockingPager<PaymentService> {
        BlockingPager(self.client.list_payment_services(page_size))
    }

    pub fn list_payout_services(&self, page_size: Option<u32>) -> BlockingPager<PayoutService> {
        BlockingPager(self.client.list_payout_services(page_size))
    }

    pub fn list_refunds(&self, options: &ListOptions) -> BlockingPager<Refund> {
        BlockingPager(self.client.list_refunds(options))
    }

    pub fn verify_callback(&self, body: &[u8], signature: &str) -> Result<CallbackEvent> {
        self.client.verify_callback(body, signature)
    }

    /// Runs a checked operation that is not a list (see [`Client::execute`]).
    pub fn execute(&self, operation: &Operation) -> Result<Outcome> {
        block_on(self.client.execute(operation))?
    }

    /// The pages of a list operation, read as they are iterated.
    pub fn pager(&self, operation: &Operation) -> Result<BlockingPager<Item>> {
        Ok(BlockingPager(self.client.pager(operation)?))
    }
}

/// A list read page by page as it is iterated.
pub struct BlockingPager<T>(Pager<T>);

impl<T: Send + 'static> Iterator for BlockingPager<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        match block_on(self.0.next()) {
            Ok(result) => result.transpose(),
            Err(error) => Some(Err(error)),
        }
    }
}
