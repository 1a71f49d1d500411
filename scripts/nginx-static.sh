# Sourced by the benchmarks that put a Paperboy page against nginx serving the same bytes: one
# nginx configuration for all of them, so their ceilings are measured alike.
#
#   nginx_static_conf WORK PORT [SERVER_DIRECTIVES]
#
# writes WORK/nginx.conf: WORK/www served on 127.0.0.1:PORT, no access log, sendfile, long
# keep-alive (as wrk's connections are), pid and error log in WORK. Start it with
# `nginx -c WORK/nginx.conf -p WORK`.
nginx_static_conf() {
    local work=$1 port=$2 directives=${3:-}
    cat >"$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types { text/html html; }
    server { listen 127.0.0.1:$port; root $work/www; $directives }
}
NGINX
}
