<?php
// The front controller: every URL that is not a file comes here, with
// the path in REQUEST_URI, as in WordPress or Laravel.
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
header('Content-Type: text/html; charset=utf-8');
?><!doctype html>
<html>
<head><title>PHP behind goproxy</title><link rel="stylesheet" href="/style.css"></head>
<body>
<h1>PHP behind goproxy</h1>
<p>Routed to <code>index.php</code> for <code><?= htmlspecialchars($path) ?></code>
(query: <code><?= htmlspecialchars($_SERVER['QUERY_STRING']) ?></code>).</p>
<p>Served by <code><?= htmlspecialchars($_SERVER['SERVER_SOFTWARE']) ?></code>,
PHP <?= PHP_VERSION ?> (<?= php_sapi_name() ?>).</p>
<form method="post" action="/echo.php">
  <input name="message" value="hello"> <button>POST to echo.php</button>
</form>
<p><a href="/hello/world?x=1">/hello/world?x=1</a> · <a href="/info.php">info.php</a></p>
</body>
</html>
