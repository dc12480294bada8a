<?php
// What PHP-FPM was sent: the FastCGI parameters of fastcgi_params and
// the request headers as HTTP_*.
header('Content-Type: text/plain; charset=utf-8');
ksort($_SERVER);
foreach ($_SERVER as $k => $v) {
    if (is_string($v)) {
        echo $k, '=', $v, "\n";
    }
}
