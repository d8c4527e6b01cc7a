import Foundation

extension UISite {
    func comparePage(_ r: UIRequest, _ rest: [String]) throws -> UIResponse { throw UIError.notFound("not built yet") }
}
