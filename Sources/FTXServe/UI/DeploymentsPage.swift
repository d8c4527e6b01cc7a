import Foundation

extension UISite {
    func deploymentsPage(_ r: UIRequest) throws -> UIResponse { throw UIError.notFound("not built yet") }
}
