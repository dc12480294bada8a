// collected by the stand-in app into the shared static volume
fetch("/api/hello").then(r => r.json()).then(j => console.log(j));
