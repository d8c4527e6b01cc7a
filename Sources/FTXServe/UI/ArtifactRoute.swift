import Foundation

extension UISite {
    func artifact(_ r: UIRequest, _ rest: [String]) throws -> UIResponse { throw UIError.notFound("not built yet") }
}
