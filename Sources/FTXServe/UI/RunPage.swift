import Foundation

extension UISite {
    func runPage(_ r: UIRequest, _ rest: [String]) throws -> UIResponse { throw UIError.notFound("not built yet") }
}
