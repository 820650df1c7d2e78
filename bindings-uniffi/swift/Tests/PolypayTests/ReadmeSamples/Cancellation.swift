// A README sample (see Client.swift): ReadmeTests compares and runs it.

// readme-sample: swift-cancellation begin
import Foundation
import Polypay

// Cancelling the task (task.cancel(), a task group, a SwiftUI .task that ends) ends the call at
// once with PolypayError.Cancelled, which keeps the facts of a create.
func createOrRemember(client: PayCoreClient, fieldsJson: String, reconcileLater: (String) -> Void) async throws -> PaymentInvoice {
    do {
        return try await client.createPaymentInvoice(fieldsJson: fieldsJson)
    } catch let error as PolypayError {
        // referenceId: the one sent (generated if you gave none); outcomeUnknown: it may exist.
        if case .Cancelled = error, error.details.outcomeUnknown { reconcileLater(error.details.referenceId!) }
        throw error
    }
}
// readme-sample: swift-cancellation end
