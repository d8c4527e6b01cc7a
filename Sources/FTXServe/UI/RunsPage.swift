import Foundation

extension UISite {
    func runsPage(_ r: UIRequest) throws -> UIResponse { throw UIError.notFound("not built yet") }
    func runsJSON(_ r: UIRequest) throws -> UIResponse { throw UIError.notFound("not built yet") }
}
