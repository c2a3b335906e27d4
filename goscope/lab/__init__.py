"""The lab: an offline Go module universe on 127.0.0.1.

Module proxies with scripted behaviour, a real checksum database (Ed25519-signed
tree heads, tlog tiles) and a git host, all behind one virtual-host server
that goscope reaches through `--route`.
"""
