/* Chinese for FAB's page widgets (issue 20), loaded after FAB's scripts and before they start
 * on DOM ready (templates/appbuilder/baselayout.html):
 * - bootstrap-datepicker: months, weekdays, 今天/清除, Monday first, when the page is Chinese;
 * - FAB's search filters call datetimepicker(), which FAB does not ship: the date picker instead;
 * - select2 boxes: a translated placeholder (data-* attributes override FAB's "Select a State"). */
(function ($) {
  "use strict";
  var script = document.currentScript;
  var locale = (script && script.getAttribute("data-locale")) || "en";
  var placeholder = (script && script.getAttribute("data-placeholder")) || "";
  if (!$ || !$.fn) { return; }
  if ($.fn.datepicker) {
    $.fn.datepicker.dates["zh-CN"] = {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      daysShort: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      daysMin: ["日", "一", "二", "三", "四", "五", "六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      monthsShort: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      today: "今天",
      clear: "清除",
      monthsTitle: "选择月份",
      format: "yyyy-mm-dd",
      titleFormat: "yyyy年mm月",
      weekStart: 1
    };
    if (locale.indexOf("zh") === 0) {
      $.fn.datepicker.defaults.language = "zh-CN";
      $.fn.datepicker.defaults.weekStart = 1;
      $.fn.datepicker.defaults.todayHighlight = true;
    }
    if (!$.fn.datetimepicker) {
      $.fn.datetimepicker = function () {
        return this.datepicker({format: "yyyy-mm-dd", autoclose: true});
      };
    }
  }
  if (placeholder) {
    $(".my_select2, .my_select2_ajax").each(function () {
      if (!this.hasAttribute("data-placeholder")) { this.setAttribute("data-placeholder", placeholder); }
    });
  }
}(window.jQuery));
