// The package's Embind runtime: a --js-library that replaces the registration functions of
// Emscripten 3.1.6's embind.js (`_embind_register_*`; user libraries are processed after the
// system ones, so these definitions win). The C++ side is stock Embind (<emscripten/bind.h>,
// EMSCRIPTEN_BINDINGS blocks in bindings/embind/*.cc, libembind's built-in types); only the JS
// half is ours, because stock embind.js builds every invoker with `new Function` (an EvalError
// under a strict Content-Security-Policy) and its -sDYNAMIC_EXECUTION=0 fallback is twice as
// slow per call and not re-entrant (see docs/bindings.md).
//
// What it supports, which is what the bindings use: arguments and results that are void, bool,
// integers up to 32 bits and floats (passed to wasm as they are: no conversion, no allocation
// per call); classes with a factory constructor, methods and delete(); free functions; class
// pointers or references as arguments (a handle of that class: its address is passed). Anything
// else fails loudly: std::string, emscripten::val, 64-bit integers, memory views, base classes,
// overloads when the module starts, naming the binding; enums, value objects, properties, static
// methods, smart pointers, constants at link time (their _embind_register_* is undefined here).
//
// Handles: `new Module.Table()` is an object whose `ptr` is the C++ object's address (0 when the
// factory returned null: out of memory); `delete()` destroys the object and sets ptr to 0. There
// is no reference counting and no finalizer: the JS classes (bindings/js/) own the handles.
// Calls: each method is an ordinary closure made for its argument count, calling the wasm invoker
// Embind's C++ side registered with the arguments as given, nothing shared between calls (a
// call that re-enters the module from a JS callback is safe).
mergeInto(LibraryManager.library, {
  // Registrations wait until every static constructor has run (libembind registers the built-in
  // types in one of them, in an order the linker picks), then embindFinish binds them all.
  $embindTypes: '={}', // type id -> { name (its C string's address), ret?: 'void' | 'bool' | 'u32' | 'same', cls?, unsupported? }
  $embindPending: '=[]',
  $embindFinish__deps: ['$embindPending'],
  $embindFinish__postset: 'addOnInit(embindFinish);', // runs after __wasm_call_ctors (addOnInit puts that first)
  $embindFinish: function() {
    for (var i = 0; i < embindPending.length; ++i) embindPending[i]();
    embindPending.length = 0;
  },

  $embindName: function(ptr) {
    var s = '';
    for (var c; (c = HEAPU8[ptr++]) !== 0;) s += String.fromCharCode(c);
    return s;
  },
  $embindTypeIds: function(count, at) {
    var ids = [];
    for (var i = 0; i < count; ++i) ids.push(HEAPU32[(at >> 2) + i]);
    return ids;
  },
  $embindFail: function(what, message) {
    throw new Error('wasm-embedding bindings: ' + what + ': ' + message + ' (bindings/embind/runtime.js supports void, bool, integers up to 32 bits, floats and class handles)');
  },

  // The argument and result types of one binding, checked. ids: [result, args...]. Returns
  // { ret, args: [converter or null per argument], plain: no argument needs converting }.
  $embindSignature__deps: ['$embindTypes', '$embindFail', '$embindName', '$embindHandleArg'],
  $embindSignature: function(what, ids, returnsAddress) {
    var ret = null, args = [], plain = true;
    for (var i = 0; i < ids.length; ++i) {
      var t = embindTypes[ids[i]];
      if (!t) embindFail(what, 'a type (id ' + ids[i] + ') that no EMSCRIPTEN_BINDINGS block registered');
      if (t.unsupported) embindFail(what, 'the type ' + embindName(t.name));
      if (i === 0) {
        if (t.cls && !returnsAddress) embindFail(what, 'returns the class ' + t.cls.name + ' (return its address as std::uintptr_t)');
        ret = returnsAddress ? 'u32' : t.ret;
      } else if (t.cls) {
        plain = false;
        args.push(embindHandleArg(what, t.cls));
      } else {
        args.push(null);
      }
    }
    return { ret: ret, args: args, plain: plain };
  },
  $embindHandleArg: function(what, cls) {
    return function(handle) {
      if (!(handle instanceof cls)) throw new TypeError(what + ': expected a ' + cls.name + ' handle, got ' + handle);
      return handle.ptr;
    };
  },

  // A closure calling wasm function fn as fn(ctx, [this.ptr,] ...args), the result converted.
  // Specialised by argument count and result (the common cases), so that a call allocates
  // nothing and does no more than the plain export would.
  $embindInvoker__deps: ['$embindFail'],
  $embindInvoker: function(what, fn, ctx, sig, method) {
    var ret = sig.ret, n = sig.args.length;
    if (!sig.plain) {
      // Some arguments are handles: converted one by one (constructors and calls made once a
      // batch or a file, never per row).
      var conv = sig.args;
      var call = function() {
        var wire = [ctx];
        if (method) wire.push(this.ptr);
        for (var i = 0; i < n; ++i) wire.push(conv[i] ? conv[i](arguments[i]) : arguments[i]);
        return fn.apply(null, wire);
      };
      return ret === 'bool' ? function() { return call.apply(this, arguments) !== 0; }
        : ret === 'u32' ? function() { return call.apply(this, arguments) >>> 0; } : call;
    }
    if (method) {
      if (ret === 'bool') {
        switch (n) {
          case 0: return function() { return fn(ctx, this.ptr) !== 0; };
          case 1: return function(a) { return fn(ctx, this.ptr, a) !== 0; };
          case 2: return function(a, b) { return fn(ctx, this.ptr, a, b) !== 0; };
          case 3: return function(a, b, c) { return fn(ctx, this.ptr, a, b, c) !== 0; };
          case 4: return function(a, b, c, d) { return fn(ctx, this.ptr, a, b, c, d) !== 0; };
        }
      } else if (ret === 'u32') {
        switch (n) {
          case 0: return function() { return fn(ctx, this.ptr) >>> 0; };
          case 1: return function(a) { return fn(ctx, this.ptr, a) >>> 0; };
          case 2: return function(a, b) { return fn(ctx, this.ptr, a, b) >>> 0; };
          case 3: return function(a, b, c) { return fn(ctx, this.ptr, a, b, c) >>> 0; };
        }
      } else {
        switch (n) {
          case 0: return function() { return fn(ctx, this.ptr); };
          case 1: return function(a) { return fn(ctx, this.ptr, a); };
          case 2: return function(a, b) { return fn(ctx, this.ptr, a, b); };
          case 3: return function(a, b, c) { return fn(ctx, this.ptr, a, b, c); };
          case 4: return function(a, b, c, d) { return fn(ctx, this.ptr, a, b, c, d); };
          case 5: return function(a, b, c, d, e) { return fn(ctx, this.ptr, a, b, c, d, e); };
          case 6: return function(a, b, c, d, e, f) { return fn(ctx, this.ptr, a, b, c, d, e, f); };
          case 7: return function(a, b, c, d, e, f, g) { return fn(ctx, this.ptr, a, b, c, d, e, f, g); };
          case 8: return function(a, b, c, d, e, f, g, h) { return fn(ctx, this.ptr, a, b, c, d, e, f, g, h); };
        }
      }
    } else {
      if (ret === 'bool') {
        switch (n) {
          case 0: return function() { return fn(ctx) !== 0; };
          case 1: return function(a) { return fn(ctx, a) !== 0; };
          case 2: return function(a, b) { return fn(ctx, a, b) !== 0; };
        }
      } else if (ret === 'u32') {
        switch (n) {
          case 0: return function() { return fn(ctx) >>> 0; };
          case 1: return function(a) { return fn(ctx, a) >>> 0; };
          case 2: return function(a, b) { return fn(ctx, a, b) >>> 0; };
          case 3: return function(a, b, c) { return fn(ctx, a, b, c) >>> 0; };
          case 4: return function(a, b, c, d) { return fn(ctx, a, b, c, d) >>> 0; };
        }
      } else {
        switch (n) {
          case 0: return function() { return fn(ctx); };
          case 1: return function(a) { return fn(ctx, a); };
          case 2: return function(a, b) { return fn(ctx, a, b); };
          case 3: return function(a, b, c) { return fn(ctx, a, b, c); };
          case 4: return function(a, b, c, d) { return fn(ctx, a, b, c, d); };
        }
      }
    }
    // Longer or rarer signatures: the arguments as given, through apply (still nothing shared).
    var wrap = ret === 'bool' ? function(r) { return r !== 0; } : ret === 'u32' ? function(r) { return r >>> 0; } : null;
    return function() {
      var wire = [ctx];
      if (method) wire.push(this.ptr);
      for (var i = 0; i < n; ++i) wire.push(arguments[i]);
      var r = fn.apply(null, wire);
      return wrap ? wrap(r) : r;
    };
  },

  // Built-in types (bindings/embind/builtin_types.cc registers those the bindings use; the rest
  // are here for a build that links libembind).
  _embind_register_void__deps: ['$embindTypes', '$embindFinish'],
  _embind_register_void: function(rawType, name) {
    embindTypes[rawType] = { name: name, ret: 'void' };
  },
  _embind_register_bool__deps: ['$embindTypes'],
  _embind_register_bool: function(rawType, name, size, trueValue, falseValue) {
    embindTypes[rawType] = { name: name, ret: 'bool' };
  },
  _embind_register_integer__deps: ['$embindTypes'],
  _embind_register_integer: function(rawType, name, size, minRange, maxRange) {
    // Unsigned 32-bit results come back from wasm as signed i32s: >>> 0 makes them unsigned.
    embindTypes[rawType] = { name: name, ret: size === 4 && minRange === 0 ? 'u32' : 'same' };
  },
  _embind_register_float__deps: ['$embindTypes'],
  _embind_register_float: function(rawType, name, size) {
    embindTypes[rawType] = { name: name, ret: 'same' };
  },
  // Registered, but not supported: a binding that uses one fails at startup.
  _embind_register_bigint__deps: ['$embindTypes'],
  _embind_register_bigint: function(rawType, name) {
    embindTypes[rawType] = { name: name, unsupported: true };
  },
  _embind_register_std_string__deps: ['$embindTypes'],
  _embind_register_std_string: function(rawType, name) {
    embindTypes[rawType] = { name: name, unsupported: true };
  },
  _embind_register_std_wstring__deps: ['$embindTypes'],
  _embind_register_std_wstring: function(rawType, charSize, name) {
    embindTypes[rawType] = { name: name, unsupported: true };
  },
  _embind_register_emval__deps: ['$embindTypes'],
  _embind_register_emval: function(rawType, name) {
    embindTypes[rawType] = { name: name, unsupported: true };
  },
  _embind_register_memory_view__deps: ['$embindTypes'],
  _embind_register_memory_view: function(rawType, dataTypeIndex, name) {
    embindTypes[rawType] = { name: name, unsupported: true };
  },

  // class_<T>("Name"): a JS class on Module. Its constructor is the registered factory; the
  // type ids of T, T* and const T* all mean "a handle of this class" as arguments.
  _embind_register_class__deps: ['$embindTypes', '$embindName', '$embindFail'],
  _embind_register_class: function(rawType, rawPointerType, rawConstPointerType, baseClassRawType, getActualTypeSignature,
                                   getActualType, upcastSignature, upcast, downcastSignature, downcast, name,
                                   destructorSignature, rawDestructor) {
    name = embindName(name);
    if (baseClassRawType) embindFail(name, 'a base class');
    var destroy = wasmTable.get(rawDestructor);
    var construct = null;
    function Handle() {
      if (!(this instanceof Handle)) throw new TypeError(name + ': use new');
      if (construct === null) throw new TypeError(name + ' has no constructor');
      this.ptr = construct.apply(null, arguments) >>> 0;
    }
    Object.defineProperty(Handle, 'name', { value: name });
    Handle.prototype.delete = function() {
      if (this.ptr !== 0) destroy(this.ptr);
      this.ptr = 0;
    };
    Handle.setConstructor = function(fn) {
      if (construct !== null) embindFail(name, 'more than one constructor');
      construct = fn;
    };
    var type = { name: name, cls: Handle };
    embindTypes[rawType] = embindTypes[rawPointerType] = embindTypes[rawConstPointerType] = type;
    if (Module[name] !== undefined) embindFail(name, 'two bindings by this name');
    Module[name] = Handle;
  },

  _embind_register_class_constructor__deps: ['$embindTypes', '$embindPending', '$embindTypeIds', '$embindSignature', '$embindInvoker', '$embindFail'],
  _embind_register_class_constructor: function(rawClassType, argCount, rawArgTypesAddr, invokerSignature, invoker, rawConstructor) {
    var ids = embindTypeIds(argCount, rawArgTypesAddr);
    var fn = wasmTable.get(invoker);
    embindPending.push(function() {
      var cls = embindTypes[rawClassType].cls;
      // The factory returns the class's own pointer type: an address, made unsigned.
      if (embindTypes[ids[0]] === undefined || embindTypes[ids[0]].cls !== cls) embindFail(cls.name + ' constructor', 'a factory that does not return a ' + cls.name + '*');
      var sig = embindSignature(cls.name + ' constructor', ids, true);
      cls.setConstructor(embindInvoker(cls.name + ' constructor', fn, rawConstructor, sig, false));
    });
  },

  _embind_register_class_function__deps: ['$embindTypes', '$embindPending', '$embindName', '$embindTypeIds', '$embindSignature', '$embindInvoker', '$embindFail'],
  _embind_register_class_function: function(rawClassType, methodName, argCount, rawArgTypesAddr, invokerSignature, rawInvoker,
                                            context, isPureVirtual) {
    methodName = embindName(methodName);
    var ids = embindTypeIds(argCount, rawArgTypesAddr); // [result, this, args...]
    var fn = wasmTable.get(rawInvoker);
    embindPending.push(function() {
      var cls = embindTypes[rawClassType].cls;
      var what = cls.name + '.' + methodName;
      if (Object.prototype.hasOwnProperty.call(cls.prototype, methodName)) embindFail(what, 'an overload or a second binding by this name');
      if (embindTypes[ids[1]] === undefined || embindTypes[ids[1]].cls !== cls) embindFail(what, 'a first argument that is not the class');
      var sig = embindSignature(what, [ids[0]].concat(ids.slice(2)));
      cls.prototype[methodName] = embindInvoker(what, fn, context, sig, true);
    });
  },

  _embind_register_function__deps: ['$embindPending', '$embindName', '$embindTypeIds', '$embindSignature', '$embindInvoker', '$embindFail'],
  _embind_register_function: function(name, argCount, rawArgTypesAddr, signature, rawInvoker, fn) {
    name = embindName(name);
    var ids = embindTypeIds(argCount, rawArgTypesAddr); // [result, args...]
    var invoker = wasmTable.get(rawInvoker);
    embindPending.push(function() {
      if (Module[name] !== undefined) embindFail(name, 'an overload or a second binding by this name');
      Module[name] = embindInvoker(name, invoker, fn, embindSignature(name, ids), false);
    });
  },
});
