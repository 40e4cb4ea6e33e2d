"""A real local Neo4j server on loopback: installed, started and stopped by the project itself.

Development and test tooling, not part of the API: the API reaches any Neo4j through
NEO4J_URI, and uses this package only to find a local instance's address and password
when none is set. By concept:

    files      where everything lives (.local/neo4j/), the pinned version, the file lock
    java       finding a JDK recent enough for that version
    install    the jars from Maven Central and the compiled launcher, once
    instances  named servers (folder, port, memory, generated password)
    process    starting, watching and stopping a server's JVM
    cli        python -m localneo4j start|stop|status|install|password [--instance NAME]

Stdlib only, except that `start` checks readiness with the `neo4j` driver.
"""

from localneo4j.errors import NeoServerError
from localneo4j.files import neo4j_version
from localneo4j.install import install
from localneo4j.instances import HOST, LocalNeo4j, instance, password, uri
from localneo4j.java import find_java
from localneo4j.process import server_pid, start, status, stop

__all__ = [
    "HOST",
    "LocalNeo4j",
    "NeoServerError",
    "find_java",
    "install",
    "instance",
    "neo4j_version",
    "password",
    "server_pid",
    "start",
    "status",
    "stop",
    "uri",
]
