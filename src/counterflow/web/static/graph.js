// counterflow UI: money-flow graphs with Cytoscape.js (alert page: a small fixed graph; party
// page: neighbours fetched on demand, a time filter, paths to listed parties).
// Names only ever go in as Cytoscape data or textContent, never as HTML; URLs built from data
// use encodeURIComponent. No inline code: the page's CSP forbids it.
(function () {
  "use strict";

  var usdFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  function usdText(value) { return "USD " + usdFormat.format(value || 0); }

  function readData(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function nodeElement(n) {
    return { group: "nodes", data: { id: n.id, label: n.label || n.id, party: n.party || n.id, flag: n.flag || "", root: !!n.root } };
  }

  function edgeElement(e) {
    return { group: "edges", data: { id: e.id, source: e.source, target: e.target, usd: e.usd, text: usdText(e.usd) } };
  }

  var STYLE = [
    { selector: "node", style: {
      "label": "data(label)", "font-size": 9, "text-valign": "bottom", "text-margin-y": 3,
      "background-color": "#5b7fa6", "width": 14, "height": 14, "color": "#1d2733",
      "min-zoomed-font-size": 6, "text-max-width": 120, "text-wrap": "ellipsis" } },
    { selector: "node[?root]", style: { "background-color": "#1d3a5c", "width": 24, "height": 24, "font-weight": "bold" } },
    { selector: "node[flag = 'listed']", style: { "background-color": "#b3261e", "shape": "diamond", "width": 20, "height": 20 } },
    { selector: "node[flag = 'possible']", style: { "background-color": "#d97a00", "shape": "diamond" } },
    { selector: "node[flag = 'alerted']", style: { "background-color": "#d97a00" } },
    { selector: "node.expanded", style: { "border-width": 2, "border-color": "#1d3a5c" } },
    { selector: "node:selected", style: { "border-width": 3, "border-color": "#0a58ca" } },
    { selector: "edge", style: {
      "width": 1.2, "line-color": "#9fb0c2", "target-arrow-color": "#9fb0c2",
      "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.7,
      "label": "data(text)", "font-size": 7, "color": "#4a5a6a", "min-zoomed-font-size": 8,
      "text-rotation": "autorotate" } },
    { selector: ".path", style: { "line-color": "#b3261e", "target-arrow-color": "#b3261e", "width": 3, "z-index": 10 } },
    { selector: "node.path", style: { "border-width": 3, "border-color": "#b3261e" } }
  ];

  // Cytoscape adds a <style> block of its own (refused by the CSP) unless an element with this
  // id is in the page: app.css holds its one rule instead
  var CYTOSCAPE_SHEET = "__________cytoscape_stylesheet";
  function claimStylesheet() {
    if (!document.getElementById(CYTOSCAPE_SHEET)) {
      var marker = document.createElement("meta");
      marker.id = CYTOSCAPE_SHEET;
      document.head.appendChild(marker);
    }
  }

  function makeGraph(container, data) {
    claimStylesheet();
    var elements = [];
    (data.nodes || []).forEach(function (n) {
      var el = nodeElement(n);
      if (data.root && n.id === data.root) { el.data.root = true; }
      elements.push(el);
    });
    (data.edges || []).forEach(function (e) { elements.push(edgeElement(e)); });
    return window.cytoscape({
      container: container,
      elements: elements,
      style: STYLE,
      layout: initialLayout(data),
      minZoom: 0.05,
      maxZoom: 1.6,
      wheelSensitivity: 0.3,
      textureOnViewport: true,
      hideEdgesOnViewport: true,
      pixelRatio: 1
    });
  }

  function initialLayout(data) {
    var root = data.root;
    return {
      name: "concentric", animate: false, minNodeSpacing: 60, avoidOverlap: true, padding: 40,
      concentric: function (node) { return node.id() === root || node.data("root") ? 2 : 1; },
      levelWidth: function () { return 1; }
    };
  }

  // ---------------------------------------------------------------- alert page (fixed)
  function alertGraph(container) {
    var data = readData(container.getAttribute("data-graph"));
    if (!data || !window.cytoscape) { return; }
    var root = null;
    (data.nodes || []).forEach(function (n) { if (n.root) { root = n.id; } });
    data.root = root;
    var cy = makeGraph(container, data);
    container.cy = cy;
    container.setAttribute("data-ready", String(cy.nodes().length));
  }

  // ---------------------------------------------------------------- party page (interactive)
  function partyGraph(container) {
    var data = readData(container.getAttribute("data-graph"));
    if (!data || !window.cytoscape) { return; }
    var cy = makeGraph(container, data);
    container.cy = cy;
    var list = document.getElementById("graph-nodes");
    var count = document.getElementById("graph-count");
    var status = document.getElementById("graph-status");
    var fromInput = document.getElementById("graph-from");
    var toInput = document.getElementById("graph-to");
    var pathsList = document.getElementById("graph-paths-list");
    var items = {};
    var busy = false;

    function say(text) { if (status) { status.textContent = text; } }

    function listItem(node) {
      var li = document.createElement("li");
      var name = document.createElement("a");
      name.href = data.party_url + encodeURIComponent(node.data("party"));
      name.textContent = node.data("label");
      var id = document.createElement("span");
      id.className = "muted";
      id.textContent = " " + node.data("party") + " ";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "expand";
      button.textContent = "Expand";
      button.setAttribute("aria-label", "Expand " + node.data("label"));
      button.addEventListener("click", function () { expand(node.id()); });
      var show = document.createElement("button");
      show.type = "button";
      show.className = "show";
      show.textContent = "Show";
      show.setAttribute("aria-label", "Show " + node.data("label") + " in the graph");
      show.addEventListener("click", function () { focusNode(node.id()); });
      li.appendChild(name);
      li.appendChild(id);
      li.appendChild(button);
      li.appendChild(show);
      if (node.data("flag")) {
        var flag = document.createElement("span");
        flag.className = "badge flag-" + node.data("flag");
        flag.textContent = node.data("flag");
        li.appendChild(flag);
      }
      return li;
    }

    function rebuildList() {
      if (!list) { return; }
      list.textContent = "";
      items = {};
      cy.nodes().forEach(function (node) { addItem(node); });
      updateCount();
    }

    function addItem(node) {
      if (!list || items[node.id()]) { return; }
      var li = listItem(node);
      items[node.id()] = li;
      list.appendChild(li);
    }

    function markExpanded(id) {
      var li = items[id];
      if (li) {
        var button = li.querySelector("button.expand");
        if (button) { button.textContent = "Expanded"; button.setAttribute("aria-pressed", "true"); }
      }
    }

    function updateCount() {
      var n = cy.nodes().length;
      if (count) { count.textContent = String(n); }
      container.setAttribute("data-nodes", String(n));
    }

    function focusNode(id) {
      var node = cy.getElementById(id);
      if (!node.length) { return; }
      cy.nodes().unselect();
      node.select();
      cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 1) }, { duration: 200 });
      say(node.data("label") + " (" + node.data("party") + ") selected; press Enter on the graph to expand it.");
    }

    function timeQuery() {
      var q = "";
      if (fromInput && fromInput.value) { q += "&from=" + encodeURIComponent(fromInput.value); }
      if (toInput && toInput.value) { q += "&to=" + encodeURIComponent(toInput.value); }
      return q;
    }

    function getJSON(url) {
      return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("the server answered " + response.status); }
          return response.json();
        });
    }

    // new nodes go on a ring around the node they hang off; the rest of the graph stays put,
    // so no layout runs over the whole (possibly large) graph
    function addAround(centerId, found) {
      var center = cy.getElementById(centerId);
      var origin = center.length ? center.position() : { x: 0, y: 0 };
      var fresh = found.nodes.filter(function (n) { return !cy.getElementById(n.id).length; });
      var radius = 60 + fresh.length * 4;
      var added = [];
      fresh.forEach(function (n, i) {
        var angle = (2 * Math.PI * i) / Math.max(fresh.length, 1);
        var el = nodeElement(n);
        el.position = { x: origin.x + radius * Math.cos(angle), y: origin.y + radius * Math.sin(angle) };
        added.push(el);
      });
      found.edges.forEach(function (e) {
        if (!cy.getElementById(e.id).length) { added.push(edgeElement(e)); }
      });
      cy.batch(function () { cy.add(added); });
      fresh.forEach(function (n) { addItem(cy.getElementById(n.id)); });
      updateCount();
      return fresh.length;
    }

    function expand(id) {
      if (busy) { return; }
      busy = true;
      var node = cy.getElementById(id);
      var label = node.length ? node.data("label") : id;
      say("Loading the counterparties of " + label + "…");
      var url = data.expand_url + "?node=" + encodeURIComponent(id) + "&limit=" + encodeURIComponent(data.limit) + timeQuery();
      getJSON(url).then(function (found) {
        var added = addAround(id, found);
        cy.getElementById(id).addClass("expanded");
        markExpanded(id);
        var text = label + ": " + added + " parties added";
        if (found.more) { text += "; +" + usdFormat.format(found.more) + " more counterparties not shown (the strongest " + data.limit + " by USD are)"; }
        say(text + ". " + cy.nodes().length + " parties in the graph.");
      }).catch(function (error) {
        say("Could not expand " + label + ": " + error.message);
      }).then(function () { busy = false; });
    }

    function reload() {
      var url = data.expand_url + "?node=" + encodeURIComponent(data.root) + "&limit=" + encodeURIComponent(data.limit) + timeQuery();
      say("Reloading the graph…");
      getJSON(url).then(function (found) {
        cy.batch(function () {
          cy.elements().remove();
          found.nodes.forEach(function (n) { var el = nodeElement(n); el.data.root = n.id === data.root; cy.add(el); });
          found.edges.forEach(function (e) { cy.add(edgeElement(e)); });
        });
        cy.layout(initialLayout(data)).run();
        rebuildList();
        if (pathsList) { pathsList.textContent = ""; }
        var text = found.nodes.length + " parties";
        if (found.more) { text += "; +" + usdFormat.format(found.more) + " more counterparties not shown"; }
        say("Graph reloaded: " + text + ".");
      }).catch(function (error) { say("Could not reload the graph: " + error.message); });
    }

    function paths() {
      say("Looking for paths to listed parties…");
      getJSON(data.paths_url).then(function (found) {
        var byPrev = {};
        found.paths.forEach(function (p) {
          for (var i = 1; i < p.parties.length; i++) { byPrev[p.parties[i]] = byPrev[p.parties[i]] || p.parties[i - 1]; }
        });
        // add missing parties next to the party before them on a path, hop by hop
        var pending = found.nodes.filter(function (n) { return !cy.getElementById(n.id).length; });
        var guard = 0;
        while (pending.length && guard < 20) {
          guard += 1;
          pending = pending.filter(function (n) {
            var prev = byPrev[n.id];
            var anchor = prev ? cy.getElementById(prev) : cy.getElementById(data.root);
            if (!anchor.length) { return true; }
            var p = anchor.position();
            var el = nodeElement(n);
            el.position = { x: p.x + 80 + Math.random() * 40, y: p.y + (Math.random() - 0.5) * 120 };
            cy.add(el);
            addItem(cy.getElementById(n.id));
            return false;
          });
        }
        found.edges.forEach(function (e) { if (!cy.getElementById(e.id).length) { cy.add(edgeElement(e)); } });
        cy.elements().removeClass("path");
        found.paths.forEach(function (p) {
          p.parties.forEach(function (id) { cy.getElementById(id).addClass("path"); });
          p.edges.forEach(function (id) { cy.getElementById(id).addClass("path"); });
        });
        found.nodes.forEach(function (n) {
          var node = cy.getElementById(n.id);
          if (node.length && n.flag) { node.data("flag", n.flag); }
        });
        updateCount();
        if (pathsList) {
          pathsList.textContent = "";
          found.paths.forEach(function (p) {
            var li = document.createElement("li");
            var names = p.parties.map(function (id) {
              var node = cy.getElementById(id);
              return node.length ? node.data("label") : id;
            });
            li.textContent = p.direction + ": " + names.join(" → ") + " (" + usdText(p.usd) + ")";
            pathsList.appendChild(li);
          });
        }
        say(found.paths.length ? found.paths.length + " of " + found.found + " paths highlighted (" + found.note + ")." : "No paths to listed parties (" + found.note + ").");
      }).catch(function (error) { say("Could not find paths: " + error.message); });
    }

    cy.on("dbltap", "node", function (event) { expand(event.target.id()); });
    cy.on("tap", "node", function (event) {
      var node = event.target;
      say(node.data("label") + " (" + node.data("party") + ") selected; double-click or press Enter to expand it.");
    });
    container.tabIndex = 0;
    container.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        var selected = cy.nodes(":selected");
        var target = selected.length ? selected[0].id() : data.root;
        event.preventDefault();
        expand(target);
      }
    });
    var controls = document.getElementById("graph-controls");
    if (controls) { controls.addEventListener("submit", function (event) { event.preventDefault(); reload(); }); }
    var pathsButton = document.getElementById("graph-paths");
    if (pathsButton) { pathsButton.addEventListener("click", paths); }
    var fit = document.getElementById("graph-fit");
    if (fit) { fit.addEventListener("click", function () { cy.fit(undefined, 20); }); }
    cy.getElementById(data.root).data("root", true);
    rebuildList();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var alertBox = document.getElementById("alert-graph");
    if (alertBox) { alertGraph(alertBox); }
    var partyBox = document.getElementById("party-graph");
    if (partyBox) { partyGraph(partyBox); }
  });
})();
