<?php
header('Content-Type: text/plain; charset=utf-8');
echo "method: ", $_SERVER['REQUEST_METHOD'], "\n";
echo "post: ", json_encode($_POST), "\n";
