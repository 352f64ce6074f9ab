"""keysweep server: the fleet's collector, the registry's live view, and a dashboard.

Hosts upload sweep reports with their own token; the registry is a versioned
object on the server, and every change re-judges every stored sighting at
once; critical verdicts go out through webhooks; viewers read a JSON API and
server-rendered pages. Importing this package imports no web framework:
`scanner.server.app` does, and only `keysweep server run` loads it.
"""
