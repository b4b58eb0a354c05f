// dialog.js - the Clean Desk dialog, run by osascript -l JavaScript in the
// session of the console user. The title, message and time-out come as JSON on
// standard input: they are data, never code. No single quote in this file.
function run(argv) {
	ObjC.import("Foundation");
	var data = $.NSFileHandle.fileHandleWithStandardInput.readDataToEndOfFile;
	var text = $.NSString.alloc.initWithDataEncoding(data, $.NSUTF8StringEncoding).js;
	var d = JSON.parse(text);
	var app = Application.currentApplication();
	app.includeStandardAdditions = true;
	app.activate();
	app.displayAlert(String(d.title), {
		message: String(d.message),
		as: "critical",
		buttons: ["OK"],
		defaultButton: "OK",
		givingUpAfter: Number(d.timeout)
	});
	return "";
}
