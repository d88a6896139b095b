"""`make chaos`: the local mesh under load while its processes are killed, then an audit."""
