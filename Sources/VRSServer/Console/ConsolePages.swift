import VRSStore
import Foundation
import Mustache

/// The console's Mustache templates (`Resources/console/*.mustache`), parsed once at start-up.
/// Mustache escapes every `{{value}}` for HTML; the templates use no triple braces.
struct ConsolePages: Sendable {
    let library: MustacheLibrary
    /// Static files under `/console/assets/` (style sheet, script), by name.
    let assets: [String: (contentType: String, data: Data)]

    /// Loads the templates and assets bundled with the server; a template that does not parse stops start-up.
    init() {
        var library = MustacheLibrary()
        var assets: [String: (String, Data)] = [:]
        let directory = Bundle.module.resourceURL!.appendingPathComponent("console")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names.sorted() {
            let url = directory.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url) else { continue }
            switch url.pathExtension {
            case "mustache":
                do { try library.register(String(decoding: data, as: UTF8.self), named: url.deletingPathExtension().lastPathComponent) }
                catch { fatalError("console template \(name) does not parse: \(error)") }
            case "css": assets[name] = ("text/css; charset=utf-8", data)
            case "js": assets[name] = ("text/javascript; charset=utf-8", data)
            case "svg": assets[name] = ("image/svg+xml", data)
            default: continue
            }
        }
        self.library = library
        self.assets = assets
    }

    /// The page `template` rendered with `data`.
    func render(_ template: String, _ data: [String: Any]) -> String {
        guard let html = library.render(data, withTemplate: template) else { fatalError("no console template \(template)") }
        return html
    }
}
