# goproxy's image: the layout of nginx:latest (/etc/nginx, /usr/share/nginx/html,
# logs to stdout/stderr) with goproxy as /usr/sbin/nginx, FROM scratch.
#
#   docker build -t goproxy .
#   docker run -p 8080:80 goproxy
#
# As in nginx:latest, the process starts as root and serves requests as
# "user nginx;" (uid 101, in /etc/passwd); reloads keep working.
#
# /docker-entrypoint.sh and the stock /docker-entrypoint.d/ scripts are
# goproxy itself under those names (package entrypoint): templates and
# the NGINX_ENTRYPOINT_* variables work as in the official image.
#
# GO_IMAGE lets a machine without registry access build from a local base.
ARG GO_IMAGE=golang:1.26
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/usr/sbin/nginx ./cmd/goproxy \
 && ln -s nginx /out/usr/sbin/goproxy \
 && ln -s nginx /out/usr/sbin/nginx-debug \
 && ln -s /usr/sbin/nginx /out/docker-entrypoint.sh \
 && mkdir -p /out/docker-entrypoint.d \
 && for s in 10-listen-on-ipv6-by-default.sh 15-local-resolvers.envsh 20-envsubst-on-templates.sh \
             30-tune-worker-processes.sh; do ln -s /usr/sbin/nginx /out/docker-entrypoint.d/$s; done \
 && mkdir -p /out/etc/nginx/conf.d /out/usr/share/nginx/html /out/var/log/nginx /out/var/run \
             /out/tmp /out/etc/ssl/certs /out/usr/share \
 && cp conf/nginx.conf conf/mime.types conf/fastcgi_params conf/fastcgi.conf conf/scgi_params conf/uwsgi_params conf/koi-win conf/koi-utf conf/win-utf /out/etc/nginx/ \
 && cp conf/passwd conf/group /out/etc/ \
 && cp conf/conf.d/default.conf /out/etc/nginx/conf.d/ \
 && cp conf/html/*.html /out/usr/share/nginx/html/ \
 && ln -s /dev/stdout /out/var/log/nginx/access.log \
 && ln -s /dev/stderr /out/var/log/nginx/error.log \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && cp -r /usr/share/zoneinfo /out/usr/share/zoneinfo \
 && chmod 1777 /out/tmp \
 && mkdir -p /unprivileged/nginx/conf.d \
 && cp conf/mime.types conf/fastcgi_params conf/fastcgi.conf conf/scgi_params conf/uwsgi_params conf/koi-win conf/koi-utf conf/win-utf /unprivileged/nginx/ \
 && sed -e '/^user /d' -e 's,/var/run/nginx.pid,/tmp/nginx.pid,' conf/nginx.conf >/unprivileged/nginx/nginx.conf \
 && sed -e 's/listen       80;/listen       8080;/' -e 's/\[::\]:80;/[::]:8080;/' \
        conf/conf.d/default.conf >/unprivileged/nginx/conf.d/default.conf

# The unprivileged variant (docker build --target unprivileged .): runs as
# uid 101, listens on 8080, keeps its pid file in /tmp, and owns
# /etc/nginx so that templates can be rendered.
FROM scratch AS unprivileged
COPY --from=build /out/ /
COPY --from=build --chown=101:101 /unprivileged/ /etc/
ENV PATH=/usr/sbin
USER 101:101
EXPOSE 8080
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]

FROM scratch
COPY --from=build /out/ /
ENV PATH=/usr/sbin
EXPOSE 80
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]
